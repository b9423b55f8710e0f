import express, { type Express } from "express";
import { AppError } from "../errors";
import { auditRoutes } from "./audit-routes";
import { couponRoutes } from "./coupon-routes";
import type { AppDeps } from "./deps";
import { errorHandler } from "./error-handler";
import { issueRoutes } from "./issue-routes";
import { jsonBody } from "./json-body";
import { requireOperator } from "./operator-auth";
import { opsRoutes } from "./ops-routes";
import { requestContext } from "./request-context";

export const BODY_LIMIT_BYTES = 16 * 1024;

/** Builds the Express app; listening is the caller's business (tests use port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", false);
  app.set("trust proxy", deps.trustProxy);

  app.use(requestContext(app, deps.logger, deps.metrics));
  app.use(jsonBody(BODY_LIMIT_BYTES));

  opsRoutes(app, deps);
  issueRoutes(app, deps);
  const operator = requireOperator(deps.adminTokens, deps.tokens);
  couponRoutes(app, deps, operator);
  auditRoutes(app, deps, operator);

  app.use((req, _res, next) => next(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`)));
  app.use(errorHandler());
  return app;
}
