import type { Response } from "express";

const TITLES: Record<string, string> = {
  ALREADY_ISSUED: "Already issued",
  SOLD_OUT: "Sold out",
  COUPON_NOT_STARTED: "Coupon sale has not started",
  COUPON_ENDED: "Coupon sale has ended",
  COUPON_NOT_FOUND: "Coupon not found",
  NOT_REQUESTED: "No issuance request from this user",
  LIMIT_BELOW_ISSUED: "Limit below issued count",
  VALIDATION_FAILED: "Invalid request",
  INVALID_COUPON_ID: "Invalid coupon id",
  INVALID_USER_ID: "Invalid user id",
  MALFORMED_JSON: "Malformed JSON",
  PAYLOAD_TOO_LARGE: "Payload too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  UNAUTHORIZED: "Unauthorized",
  INSUFFICIENT_SCOPE: "Token lacks the operator scope",
  TOKEN_MISSING: "Bearer token missing",
  TOKEN_TOO_LARGE: "Bearer token too large",
  TOKEN_INVALID: "Invalid bearer token",
  TOKEN_EXPIRED: "Bearer token expired",
  TOKEN_NOT_YET_VALID: "Bearer token not yet valid",
  TOKEN_CLAIM_INVALID: "Bearer token claim not accepted",
  TOKEN_SUBJECT_INVALID: "Bearer token subject is not a user id",
  USER_MISMATCH: "Not your user",
  RATE_LIMITED: "Too many requests",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  BAD_REQUEST: "Bad request",
  BUSY: "Busy",
  UNAVAILABLE: "Service unavailable",
  INTERNAL: "Internal error",
};

/** Sends an RFC 9457 problem document with our stable `code` member. */
export function sendProblem(
  res: Response,
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
): void {
  res
    .status(status)
    .type("application/problem+json")
    .send(JSON.stringify({ type: "about:blank", title: TITLES[code] ?? code, status, code, detail, ...extra }));
}
