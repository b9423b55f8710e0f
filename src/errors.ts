/**
 * Every problem the service can answer, defined once: its stable code, HTTP
 * status and title. Code throws `AppError`s (or answers an outcome) by code;
 * src/http/error-handler.ts and src/http/problem.ts are the only places that
 * turn a code into an HTTP response.
 */
export const ERRORS = {
  // Answers to "give me this coupon" that are not a win (see src/http/issue-routes.ts).
  ALREADY_ISSUED: { status: 409, title: "Already issued" },
  SOLD_OUT: { status: 409, title: "Sold out" },
  COUPON_NOT_STARTED: { status: 409, title: "Coupon sale has not started" },
  COUPON_PAUSED: { status: 409, title: "Coupon sale is paused" },
  COUPON_ENDED: { status: 409, title: "Coupon sale has ended" },
  // Refusals.
  COUPON_NOT_FOUND: { status: 404, title: "Coupon not found" },
  NOT_REQUESTED: { status: 404, title: "No issuance request from this user" },
  LIMIT_BELOW_ISSUED: { status: 409, title: "Limit below issued count" },
  INVALID_TRANSITION: { status: 409, title: "Not possible in the coupon's current status" },
  COUPON_NOT_EDITABLE: { status: 409, title: "Coupon cannot be edited now" },
  UNAUTHORIZED: { status: 401, title: "Unauthorized" },
  INSUFFICIENT_SCOPE: { status: 403, title: "Token lacks the operator scope" },
  CSRF_REJECTED: { status: 403, title: "Cross-site request refused" },
  NOT_FOUND: { status: 404, title: "Not found" },
  // A shopper's bearer token refused (SHOPPER_AUTH=jwt; see src/http/token-verifier.ts).
  TOKEN_MISSING: { status: 401, title: "Bearer token missing" },
  TOKEN_TOO_LARGE: { status: 401, title: "Bearer token too large" },
  TOKEN_INVALID: { status: 401, title: "Invalid bearer token" },
  TOKEN_EXPIRED: { status: 401, title: "Bearer token expired" },
  TOKEN_NOT_YET_VALID: { status: 401, title: "Bearer token not yet valid" },
  TOKEN_CLAIM_INVALID: { status: 401, title: "Bearer token claim not accepted" },
  TOKEN_SUBJECT_INVALID: { status: 401, title: "Bearer token subject is not a user id" },
  USER_MISMATCH: { status: 403, title: "Not your user" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  // Bad input: nothing was changed.
  VALIDATION_FAILED: { status: 400, title: "Invalid request" },
  INVALID_COUPON_ID: { status: 400, title: "Invalid coupon id" },
  INVALID_USER_ID: { status: 400, title: "Invalid user id" },
  INVALID_QUERY: { status: 400, title: "Invalid query string" },
  MALFORMED_JSON: { status: 400, title: "Malformed JSON" },
  BAD_REQUEST: { status: 400, title: "Bad request" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  // Try again later.
  BUSY: { status: 503, title: "Busy" },
  UNAVAILABLE: { status: 503, title: "Service unavailable" },
  INTERNAL: { status: 500, title: "Internal error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface AppErrorOptions {
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
  /** Extra members for the problem document, e.g. the list of validation errors. */
  readonly extra?: Record<string, unknown>;
}

/** A refused request or failure with a code from `ERRORS`; its message is the problem's `detail`. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
  }

  /** The HTTP status the registry gives this code. */
  get status(): number {
    return ERRORS[this.code].status;
  }
}

export type Dependency = "Redis" | "PostgreSQL";

/**
 * Redis or PostgreSQL failed. `maybeCommitted` says a write was sent before
 * the failure, so it may have happened (or, for a stalled Redis, may still
 * happen): such a failure must be settled, never answered as "nothing changed".
 */
export class DependencyError extends AppError {
  constructor(
    readonly dependency: Dependency,
    cause: unknown,
    readonly maybeCommitted: boolean,
  ) {
    super("UNAVAILABLE", "The service is temporarily unavailable; try again shortly", { retryAfterSeconds: 1, cause });
    this.name = "DependencyError";
  }
}

export const unavailable = (dependency: Dependency, cause?: unknown, maybeCommitted = false) =>
  new DependencyError(dependency, cause, maybeCommitted);

/** A dependency failure whose write may nonetheless have happened (the reply was lost, or the command may run late). */
export const isAmbiguousWrite = (err: unknown) => err instanceof DependencyError && err.maybeCommitted;

export const isUnavailable = (err: unknown, dependency?: Dependency) =>
  err instanceof DependencyError && (dependency === undefined || err.dependency === dependency);

export const busy = (cause?: unknown) =>
  new AppError("BUSY", "Too many shoppers at once; try again shortly", { retryAfterSeconds: 1, cause });

export const couponNotFound = (id: number | string) => new AppError("COUPON_NOT_FOUND", `Coupon ${id} does not exist`);

/**
 * Whether a failed Redis command may still have run (or may run later: a
 * stalled server runs what it holds when it wakes). ioredis refuses a
 * command it never wrote with "...enableOfflineQueue options is false", and
 * a reply error means Redis ran it and said no; any other failure (a timeout,
 * a connection closed with the command in flight) leaves its fate unknown.
 */
export function redisMaybeRan(err: unknown): boolean {
  if (!(err instanceof Error)) return true;
  if (err.name === "ReplyError") return false;
  return !err.message.includes("enableOfflineQueue options is false");
}

/**
 * For `.catch(...)`: keeps AppErrors, turns anything else into a Redis or
 * PostgreSQL DependencyError, maybeCommitted when a Redis command may have run.
 */
export const rethrowAsUnavailable =
  (dependency: Dependency) =>
  (err: unknown): never => {
    if (err instanceof AppError) throw err;
    throw unavailable(dependency, err, dependency === "Redis" && redisMaybeRan(err));
  };
