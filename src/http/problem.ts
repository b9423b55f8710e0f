import type { Response } from "express";
import { ERRORS, type ErrorCode } from "../errors";

/** Where the problem's code is kept for the request's metrics (see request-context.ts). */
export const PROBLEM_CODE = "problemCode";

/** Sends an RFC 9457 problem document for `code`, with its status and title from the registry. */
export function sendProblem(res: Response, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): void {
  const { status, title } = ERRORS[code];
  res.locals[PROBLEM_CODE] = code;
  res
    .status(status)
    .type("application/problem+json")
    .send(JSON.stringify({ type: "about:blank", title, status, code, detail, ...extra }));
}
