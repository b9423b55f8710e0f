import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Actor } from "../db/audit-log";
import { AppError } from "../errors";
import type { DashboardSession, DashboardSessions } from "./dashboard-session";
import { MAX_TOKEN_BYTES, type TokenVerifier } from "./token-verifier";

/** The scope an operator's JWT must carry. */
export const ADMIN_SCOPE = "coupons:admin";

export interface Operator {
  /** Who acted, for logs and audit: "token:<id>" (see adminTokenId) or "jwt:<sub>". */
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

/**
 * How the audit trail names an admin token: the first 12 hex digits of its
 * SHA-256, never the token. An operator finds which token it was with
 * `printf %s "$TOKEN" | sha256sum | cut -c1-12`.
 */
export const adminTokenId = (token: string) => digest(token).toString("hex").slice(0, 12);

/**
 * The ADMIN_TOKEN list (several, so a token can be rotated without
 * downtime). Both sides are hashed first and every token is compared every
 * time, so neither a token's length nor which one matched shows in the timing.
 */
export function adminTokenCheck(adminTokens: readonly string[]): OperatorCheck {
  const known = adminTokens.map((t) => ({ digest: digest(t), operator: Object.freeze({ subject: `token:${adminTokenId(t)}` }) }));
  return async (credential) => {
    const presented = digest(credential);
    let found: Operator | undefined;
    for (const k of known) if (timingSafeEqual(presented, k.digest)) found = k.operator;
    return found;
  };
}

/**
 * With SHOPPER_AUTH=jwt: a verified JWT whose `scope` includes
 * coupons:admin, its `sub` naming the operator. A valid token without that
 * scope (a shopper's) is 403 INSUFFICIENT_SCOPE; one that does not verify
 * names nobody (401), unless the keys could not be fetched (503).
 */
export function jwtOperatorCheck(verifier: TokenVerifier): OperatorCheck {
  return async (credential) => {
    if (!credential.includes(".") || credential.length > MAX_TOKEN_BYTES) return undefined;
    const claims = await verifier.verify(credential).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 401) return undefined;
      throw err;
    });
    if (!claims) return undefined;
    const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
    if (!scopes.includes(ADMIN_SCOPE)) throw new AppError("INSUFFICIENT_SCOPE", `Operator routes need a token with the ${ADMIN_SCOPE} scope`);
    const sub = claims.sub;
    return typeof sub === "string" && sub.length > 0 && sub.length <= 200 ? { subject: `jwt:${sub}` } : undefined;
  };
}

/** The first check that names an operator. */
export const firstOf =
  (...checks: OperatorCheck[]): OperatorCheck =>
  async (credential) => {
    for (const check of checks) {
      const operator = await check(credential);
      if (operator) return operator;
    }
    return undefined;
  };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Operator routes take `Authorization: Bearer <credential>`, or a dashboard
 * login cookie; a state-changing call made with the cookie must also come
 * from the dashboard's own page (see DashboardSessions.fromOwnPage), so a
 * cross-site form or script cannot act on an operator's behalf.
 */
export function requireOperator(check: OperatorCheck, sessions: DashboardSessions, cookies: RequestHandler) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const bearer = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (bearer) {
      req.operator = await check(bearer[1]!);
      return next(req.operator ? undefined : unauthorized());
    }
    await new Promise<void>((parsed) => cookies(req, res, () => parsed()));
    const session = sessions.read(req);
    if (!session) return next(unauthorized());
    if (!SAFE_METHODS.has(req.method) && !sessions.fromOwnPage(req, session)) {
      return next(new AppError("CSRF_REJECTED", "A change made with the dashboard login must come from the dashboard page itself"));
    }
    req.operator = { subject: session.subject, session };
    next();
  };
}

/** Who is acting on an operator route, and in which request: what the audit trail records. */
export function actorOf(req: Request): Actor {
  if (req.operator === undefined) throw new Error(`${req.method} ${req.path} is an operator route without requireOperator`);
  return { actor: req.operator.subject, requestId: req.id };
}

const unauthorized = () =>
  new AppError("UNAUTHORIZED", "Operator routes need Authorization: Bearer <ADMIN_TOKEN>, or a dashboard login");
