import type { Express, NextFunction, Request, Response } from "express";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { PROBLEM_CODE } from "./problem";

declare module "express-serve-static-core" {
  interface Request {
    id: string;
    /** A child logger carrying the request id, made on first use. */
    readonly log: Logger;
  }
}

const SAFE_ID = /^[\w.:-]{1,64}$/;
const childLogger = Symbol("childLogger");

/**
 * Per request: an id (the caller's X-Request-Id if sane, else our own),
 * security headers, and when the response is done one access-log line, a
 * latency observation and, for a problem answer, a count of its code. The
 * request's child logger is made only if something logs through it: most
 * requests never do.
 */
export function requestContext(app: Express, logger: Logger, metrics: Metrics) {
  Object.defineProperty(app.request, "log", {
    get(this: Request & { [childLogger]?: Logger }) {
      return (this[childLogger] ??= logger.child({ reqId: this.id }));
    },
  });
  const prefix = `${process.pid.toString(36)}-${Date.now().toString(36)}-`;
  let seq = 0;
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && SAFE_ID.test(incoming) ? incoming : prefix + (++seq).toString(36);
    req.id = id;
    res.setHeader("X-Request-Id", id);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.on("finish", () => {
      const ms = performance.now() - started;
      const route = req.route ? req.baseUrl + String(req.route.path) : "unmatched";
      metrics.httpDuration.observe({ method: req.method, route, status: res.statusCode }, ms / 1000);
      const code = res.locals[PROBLEM_CODE] as string | undefined;
      if (code) metrics.problems.inc({ method: req.method, route, code });
      if (logger.isLevelEnabled("info")) {
        logger.info({ reqId: id, method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, "request");
      }
    });
    next();
  };
}
