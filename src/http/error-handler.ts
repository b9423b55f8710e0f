import type { NextFunction, Request, Response } from "express";
import { AppError, ERRORS, type ErrorCode } from "../errors";
import { LogThrottle } from "./log-throttle";
import { sendProblem } from "./problem";

/** What the client is told of a failure. */
export interface ProblemAnswer {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly retryAfterSeconds?: number;
  readonly extra?: Record<string, unknown>;
}

/**
 * Maps any thrown value to its answer. AppErrors carry a code whose status
 * the registry in src/errors.ts gives; anything else is a bug and answers a
 * bare 500. Nothing internal (messages, stacks, causes) reaches the client.
 */
export function problemFor(err: unknown): ProblemAnswer {
  if (err instanceof AppError) {
    return { code: err.code, detail: err.message, retryAfterSeconds: err.options.retryAfterSeconds, extra: err.options.extra };
  }
  // Express and its router report client mistakes (bad URL encoding) with a 4xx status.
  const status = (err as { status?: unknown } | undefined)?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return { code: "BAD_REQUEST", detail: "The request could not be understood" };
  }
  return { code: "INTERNAL", detail: "Something went wrong on our side" };
}

/** The one place where failures become HTTP answers. */
export function errorHandler() {
  const throttle = new LogThrottle();
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      req.log.error({ err }, "error after the response started");
      res.destroy();
      return;
    }
    const answer = problemFor(err);
    if (answer.code === "INTERNAL") req.log.error({ err }, "unhandled error");
    else if (ERRORS[answer.code].status >= 500) {
      const suppressed = throttle.admit(answer.code);
      if (suppressed !== undefined) req.log.warn({ code: answer.code, cause: describe((err as Error).cause), suppressed }, answer.detail);
    }
    if (answer.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(answer.retryAfterSeconds));
    // RFC 9110: a 401 names the scheme that would be accepted.
    if (ERRORS[answer.code].status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="coupons"');
    sendProblem(res, answer.code, answer.detail, answer.extra);
  };
}

const describe = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : cause);
