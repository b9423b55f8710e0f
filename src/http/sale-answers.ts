import type { Response } from "express";
import type { AnswerKind, SaleStats } from "../monitor/sale-stats";
import { PROBLEM_CODE } from "./problem";

/**
 * Counts the answer a shopper gets for `couponId`, and how long it took,
 * once it is sent: the kind comes from what was really sent (status and
 * problem code), whichever layer produced it.
 */
export function countAnswer(res: Response, couponId: number, stats: SaleStats): void {
  const started = performance.now();
  res.once("finish", () => {
    const kind = answerKind(res.statusCode, res.locals[PROBLEM_CODE] as string | undefined);
    if (kind) stats.record(couponId, kind, (performance.now() - started) / 1_000);
  });
}

function answerKind(status: number, code: string | undefined): AnswerKind | undefined {
  switch (status) {
    case 201:
      return "issued";
    case 202:
      return "pending";
    case 409:
      if (code === "SOLD_OUT") return "soldOut";
      return code === "ALREADY_ISSUED" ? "duplicate" : "notOpen";
    case 429:
      return "throttled";
    case 503:
      return "unavailable";
  }
  // Bad input and unknown coupons are no answer of a sale (and would let
  // anyone fill the table with coupons that do not exist).
  return status >= 500 ? "failed" : undefined;
}
