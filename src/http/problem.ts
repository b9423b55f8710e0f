import type { Response } from "express";
import { ERRORS, type ErrorCode } from "../errors";

/** Sends an RFC 9457 problem document for `code`, with its status and title from the registry. */
export function sendProblem(res: Response, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): void {
  const { status, title } = ERRORS[code];
  // For whoever counts answers once the response is sent (src/http/sale-answers.ts).
  res.locals.problemCode = code;
  res
    .status(status)
    .type("application/problem+json")
    .send(JSON.stringify({ type: "about:blank", title, status, code, detail, ...extra }));
}
