import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Actor } from "../db/audit-log";
import { AppError } from "../errors";
import { bearerToken, type TokenVerifier } from "./token-verifier";

declare module "express-serve-static-core" {
  interface Request {
    /** On operator routes: who is acting, for the audit trail ("token:<id>" or "jwt:<sub>"). */
    operator?: string;
  }
}

/** The scope an operator's JWT must carry. */
export const ADMIN_SCOPE = "coupons:admin";

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * How the audit trail names an admin token: the first 12 hex digits of its
 * SHA-256, never the token. An operator finds which token it was with
 * `printf %s "$TOKEN" | sha256sum | cut -c1-12`.
 */
export const adminTokenId = (token: string) => digest(token).toString("hex").slice(0, 12);

/**
 * Operator routes need `Authorization: Bearer <token>`: one of the
 * ADMIN_TOKEN list, or (with SHOPPER_AUTH=jwt) a verified JWT whose `scope`
 * includes coupons:admin. Admin tokens are compared as SHA-256 digests with
 * timingSafeEqual, every one of them every time, so neither a token's
 * length nor which one matched shows in the timing.
 */
export function requireOperator(adminTokens: readonly string[], verifier: TokenVerifier | undefined) {
  const known = adminTokens.map((t) => ({ digest: digest(t), actor: `token:${adminTokenId(t)}` }));
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    let token: string;
    try {
      token = bearerToken(req.headers.authorization);
    } catch (err) {
      throw unauthorized((err as Error).message);
    }
    const presented = digest(token);
    let actor: string | undefined;
    for (const k of known) if (timingSafeEqual(presented, k.digest)) actor = k.actor;
    req.operator = actor ?? (verifier && token.includes(".") ? await jwtOperator(verifier, token) : undefined);
    if (req.operator === undefined) throw unauthorized("Operator routes need Authorization: Bearer <ADMIN_TOKEN>");
    next();
  };
}

async function jwtOperator(verifier: TokenVerifier, token: string): Promise<string> {
  const claims = await verifier.verify(token).catch((err: unknown) => {
    // A refused token is UNAUTHORIZED on these routes, with the reason; a JWKS outage stays 503.
    throw err instanceof AppError && err.status === 401 ? unauthorized(err.message) : err;
  });
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
  if (!scopes.includes(ADMIN_SCOPE)) throw new AppError("INSUFFICIENT_SCOPE", `Operator routes need a token with the ${ADMIN_SCOPE} scope`);
  if (typeof claims.sub !== "string" || claims.sub.length === 0 || claims.sub.length > 200) {
    throw unauthorized("An operator token's sub must name the operator (1 to 200 characters)");
  }
  return `jwt:${claims.sub}`;
}

const unauthorized = (detail: string) => new AppError("UNAUTHORIZED", detail);

/** Who is acting on an operator route, and in which request: what the audit trail records. */
export function actorOf(req: Request): Actor {
  if (req.operator === undefined) throw new Error(`${req.method} ${req.path} is an operator route without requireOperator`);
  return { actor: req.operator, requestId: req.id };
}
