import type { NextFunction, Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { AppError } from "../errors";
import { bearerToken, type TokenVerifier } from "./token-verifier";
import { canonicalUserId, issueBody, parseBody, userId } from "./validation";

declare module "express-serve-static-core" {
  interface Request {
    /** With SHOPPER_AUTH=jwt: the verified token's subject, the only user this request may act for. */
    shopperId?: string;
  }
}

/**
 * With SHOPPER_AUTH=jwt (a verifier given), a shopper route needs a verified
 * bearer token whose `sub` is a user id (a positive 64-bit decimal);
 * otherwise 401 with the reason's code, before anything else is read. With
 * SHOPPER_AUTH=none there is no such middleware: the body or path names the user.
 */
export function shopperAuth(verifier: TokenVerifier | undefined): RequestHandler[] {
  if (!verifier) return [];
  return [async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const claims = await verifier.verify(bearerToken(req.headers.authorization));
    const id = typeof claims.sub === "string" ? canonicalUserId(claims.sub) : undefined;
    if (id === undefined) throw new AppError("TOKEN_SUBJECT_INVALID", "The bearer token's sub must be a positive 64-bit integer in decimal");
    req.shopperId = id;
    next();
  }];
}

/** With a token the body may leave userId out; if it names one, it must be the token's. */
const tokenIssueBody = z.strictObject({ userId: userId.optional() }).optional();

/** Who a POST /coupons/:id/issue is for: the token's subject, or without jwt the body's userId. */
export function issuingUser(req: Request): string {
  if (req.shopperId === undefined) return parseBody(issueBody, req.body).userId;
  const named = parseBody(tokenIssueBody, req.body)?.userId;
  if (named !== undefined) ownUser(req, named);
  return req.shopperId;
}

/** A shopper acts and reads only as themselves: a user other than the token's subject is 403. */
export function ownUser(req: Request, userId: string): void {
  if (req.shopperId !== undefined && req.shopperId !== userId) {
    throw new AppError("USER_MISMATCH", "This request names another user than the bearer token's subject");
  }
}
