import cookieParser from "cookie-parser";
import express, { type Express } from "express";
import { AppError } from "../errors";
import { auditRoutes } from "./audit-routes";
import { adminTokenCheck, firstOf, jwtOperatorCheck, requireOperator } from "./auth";
import { couponRoutes } from "./coupon-routes";
import { dashboardRoutes } from "./dashboard-routes";
import { DashboardSessions } from "./dashboard-session";
import type { AppDeps } from "./deps";
import { errorHandler } from "./error-handler";
import { issueRoutes } from "./issue-routes";
import { jsonBody } from "./json-body";
import { listRoutes } from "./list-routes";
import { opsRoutes } from "./ops-routes";
import { requestContext } from "./request-context";

export const BODY_LIMIT_BYTES = 16 * 1024;

/** Builds the Express app; listening is the caller's business (tests use port 0). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("query parser", false);
  // req.secure and req.protocol believe X-Forwarded-* only from the proxies named here.
  app.set("trust proxy", deps.trustProxy);

  // Any change to the ADMIN_TOKEN list logs every dashboard out.
  const sessions = new DashboardSessions(deps.adminTokens.join(","), deps.dashboardSessionMs);
  const tokens = adminTokenCheck(deps.adminTokens);
  const check = deps.tokens ? firstOf(tokens, jwtOperatorCheck(deps.tokens)) : tokens;
  // Only the dashboard and operator routes read cookies; a shopper's request never pays for parsing them.
  const cookies = cookieParser(sessions.cookieSecret);
  const operator = requireOperator(check, sessions, cookies);

  app.use(requestContext(app, deps.logger, deps.metrics));
  app.use(jsonBody(BODY_LIMIT_BYTES));

  // The shoppers' routes first: a sale's crowd is nearly all the traffic, and
  // every layer ahead of a route is one more match each of its requests pays.
  issueRoutes(app, deps);
  opsRoutes(app, deps);
  listRoutes(app, deps, operator);
  couponRoutes(app, deps, operator);
  auditRoutes(app, deps, operator);
  app.use("/dashboard", cookies);
  dashboardRoutes(app, deps, operator, check, sessions);

  app.use((req, _res, next) => next(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`)));
  app.use(errorHandler());
  return app;
}
