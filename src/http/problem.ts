import type { Response } from "express";
import { ERRORS, type ErrorCode } from "../errors";

/** Where the problem's code is kept for the request's metrics (see request-context.ts). */
export const PROBLEM_CODE = "problemCode";

const PROBLEM_TYPE = "application/problem+json; charset=utf-8";

/**
 * Sends an RFC 9457 problem document for `code`, with its status and title
 * from the registry. Written straight to the response: Express's send would
 * parse the Content-Type we set to add the charset it already names, on the
 * path every sold-out shopper takes. (Node itself drops the body of a HEAD.)
 */
export function sendProblem(res: Response, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): void {
  const { status, title } = ERRORS[code];
  res.locals[PROBLEM_CODE] = code;
  const body = JSON.stringify({ type: "about:blank", title, status, code, detail, ...extra });
  res.statusCode = status;
  res.setHeader("Content-Type", PROBLEM_TYPE);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}
