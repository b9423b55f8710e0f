import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors";
import type { DashboardSession, DashboardSessions } from "./dashboard-session";

export interface Operator {
  /** Who acted, for logs and audit. */
  readonly subject: string;
  /** Present when the request was authenticated by a dashboard login. */
  readonly session?: DashboardSession;
}

declare module "express-serve-static-core" {
  interface Request {
    /** Set by requireOperator. */
    operator?: Operator;
  }
}

/**
 * The one check of an operator's credential, whether it comes as a bearer
 * token or is typed into the dashboard's login form: the operator it
 * names, or undefined if it is not valid.
 */
export type OperatorCheck = (credential: string) => Promise<Operator | undefined>;

const digest = (s: string) => createHash("sha256").update(s).digest();

/** ADMIN_TOKEN. Both sides are hashed first so the comparison takes the same time whatever the length. */
export function adminTokenCheck(adminToken: string): OperatorCheck {
  const expected = digest(adminToken);
  const operator: Operator = Object.freeze({ subject: "admin-token" });
  return async (credential) => (timingSafeEqual(digest(credential), expected) ? operator : undefined);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Operator routes take `Authorization: Bearer <credential>`, or a dashboard
 * login cookie; a state-changing call made with the cookie must also come
 * from the dashboard's own page (see DashboardSessions.fromOwnPage), so a
 * cross-site form or script cannot act on an operator's behalf.
 */
export function requireOperator(check: OperatorCheck, sessions: DashboardSessions) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const bearer = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (bearer) {
      req.operator = await check(bearer[1]!);
      return next(req.operator ? undefined : unauthorized());
    }
    const session = sessions.read(req);
    if (!session) return next(unauthorized());
    if (!SAFE_METHODS.has(req.method) && !sessions.fromOwnPage(req, session)) {
      return next(new AppError("CSRF_REJECTED", "A change made with the dashboard login must come from the dashboard page itself"));
    }
    req.operator = { subject: session.subject, session };
    next();
  };
}

const unauthorized = () =>
  new AppError("UNAUTHORIZED", "Operator routes need Authorization: Bearer <ADMIN_TOKEN>, or a dashboard login");
