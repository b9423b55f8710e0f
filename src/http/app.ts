import express, { type Express } from "express";
import { AppError } from "../errors";
import { requireOperator } from "./auth";
import { couponRoutes } from "./coupon-routes";
import type { AppDeps } from "./deps";
import { errorHandler } from "./error-handler";
import { issueRoutes } from "./issue-routes";
import { jsonBody } from "./json-body";
import { opsRoutes } from "./ops-routes";
import { requestContext } from "./request-context";

export const BODY_LIMIT_BYTES = 16 * 1024;

/** Builds the Express app; listening is the caller's business (tests use port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", false);

  app.use(requestContext(app, deps.logger, deps.metrics));
  app.use(jsonBody(BODY_LIMIT_BYTES));

  opsRoutes(app, deps);
  issueRoutes(app, deps);
  couponRoutes(app, deps, requireOperator(deps.adminToken));

  app.use((req, _res, next) => next(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`)));
  app.use(errorHandler());
  return app;
}
