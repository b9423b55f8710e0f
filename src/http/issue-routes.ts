import type { Express, Response } from "express";
import type { IssueOutcome } from "../issuance/types";
import type { AppDeps } from "./deps";
import { sendProblem } from "./problem";
import { countAnswer } from "./sale-answers";
import { issueBody, parseBody, parseCouponId, parseUserIdParam, preferWaitMs } from "./validation";
import { AppError } from "../errors";

const DEFAULT_MAX_WAIT_SECONDS = 30;

/** The shopper's routes: race for a coupon, then ask how it went. */
export function issueRoutes(app: Express, deps: AppDeps): void {
  const maxWait = deps.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;

  app.post("/coupons/:couponId/issue", async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    countAnswer(res, couponId, deps.metrics.sales);
    const { userId } = parseBody(issueBody, req.body);
    const waitMs = preferWaitMs(req.get("prefer"), maxWait);
    const outcome = await deps.issuance.issue(couponId, userId, { waitMs });
    if (waitMs !== undefined) res.setHeader("Preference-Applied", `wait=${waitMs / 1000}`);
    sendOutcome(res, couponId, userId, outcome);
  });

  if (deps.benchNoopRoute) {
    app.post("/bench/noop", (req, res) => {
      const { userId } = parseBody(issueBody, req.body);
      res.status(201).json({ couponId: 0, userId, status: "ISSUED" });
    });
  }

  app.get("/coupons/:couponId/issuances/:userId", async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const userId = parseUserIdParam(req.params.userId as string);
    const status = await deps.issuance.status(couponId, userId);
    if (!status) throw new AppError("NOT_REQUESTED", `User ${userId} holds no request for coupon ${couponId}`);
    res.json({ couponId, userId, ...status });
  });
}

function sendOutcome(res: Response, couponId: number, userId: string, outcome: IssueOutcome): void {
  switch (outcome.kind) {
    case "issued":
      res.status(201).json({ couponId, userId, status: "ISSUED" });
      return;
    case "pending":
      res
        .status(202)
        .location(`/coupons/${couponId}/issuances/${userId}`)
        .json({ couponId, userId, status: "PENDING" });
      return;
    case "already-issued":
      return sendProblem(res, "ALREADY_ISSUED", `User ${userId} already holds coupon ${couponId}`);
    case "sold-out":
      return sendProblem(res, "SOLD_OUT", `Coupon ${couponId} is sold out`);
    case "not-started":
      return sendProblem(res, "COUPON_NOT_STARTED", `The sale of coupon ${couponId} has not started`);
    case "paused":
      return sendProblem(res, "COUPON_PAUSED", `The sale of coupon ${couponId} is paused; try again later`);
    case "ended":
      return sendProblem(res, "COUPON_ENDED", `The sale of coupon ${couponId} has ended`);
  }
}
