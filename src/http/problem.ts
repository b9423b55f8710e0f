import type { Response } from "express";

const TITLES: Record<string, string> = {
  ALREADY_ISSUED: "Already issued",
  SOLD_OUT: "Sold out",
  COUPON_NOT_STARTED: "Coupon sale has not started",
  COUPON_ENDED: "Coupon sale has ended",
  COUPON_PAUSED: "Coupon sale is paused",
  INVALID_TRANSITION: "Not possible in the coupon's current status",
  COUPON_NOT_EDITABLE: "Coupon cannot be edited now",
  INVALID_QUERY: "Invalid query string",
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
  CSRF_REJECTED: "Cross-site request refused",
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
  // For whoever counts answers once the response is sent (src/http/sale-answers.ts).
  res.locals.problemCode = code;
  res
    .status(status)
    .type("application/problem+json")
    .send(JSON.stringify({ type: "about:blank", title: TITLES[code] ?? code, status, code, detail, ...extra }));
}
