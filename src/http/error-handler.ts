import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors";
import { LogThrottle } from "./log-throttle";
import { sendProblem } from "./problem";

/**
 * The one place where failures become HTTP answers. AppErrors carry their
 * code and status; anything else is a bug and answers a bare 500. Nothing
 * internal (messages, stacks, causes) reaches the client.
 */
export function errorHandler() {
  const throttle = new LogThrottle();
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      req.log.error({ err }, "error after the response started");
      res.destroy();
      return;
    }
    if (err instanceof AppError) {
      const suppressed = err.status >= 500 ? throttle.admit(err.code) : undefined;
      if (suppressed !== undefined) req.log.warn({ code: err.code, cause: describe(err.cause), suppressed }, err.message);
      if (err.options.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(err.options.retryAfterSeconds));
      // RFC 9110: a 401 names the scheme that would be accepted.
      if (err.status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="coupons"');
      return sendProblem(res, err.status, err.code, err.message, err.options.extra);
    }
    // Express and its router report client mistakes (bad URL encoding) with a 4xx status.
    const status = (err as { status?: unknown })?.status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return sendProblem(res, status, "BAD_REQUEST", "The request could not be understood");
    }
    req.log.error({ err }, "unhandled error");
    sendProblem(res, 500, "INTERNAL", "Something went wrong on our side");
  };
}

const describe = (cause: unknown) => (cause instanceof Error ? `${cause.name}: ${cause.message}` : cause);
