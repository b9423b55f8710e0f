/**
 * Infrastructure failures and refused requests that are not an issuance
 * outcome. Each carries a stable machine-readable code and its HTTP status;
 * src/http/error-handler.ts is the one place that turns them into responses.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly options: {
      retryAfterSeconds?: number;
      cause?: unknown;
      dependency?: Dependency;
      /** Extra members for the problem document, e.g. the list of validation errors. */
      extra?: Record<string, unknown>;
      /** A write was sent before the failure, so it may have committed. */
      maybeCommitted?: boolean;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
  }
}

export type Dependency = "Redis" | "PostgreSQL";

export const unavailable = (dependency: Dependency, cause?: unknown, maybeCommitted = false) =>
  new AppError("UNAVAILABLE", 503, "The service is temporarily unavailable; try again shortly", {
    retryAfterSeconds: 1,
    cause,
    dependency,
    maybeCommitted,
  });

/** An UNAVAILABLE whose write may nonetheless have happened (the reply was lost, or the command may run late). */
export const isAmbiguousWrite = (err: unknown) => err instanceof AppError && err.options.maybeCommitted === true;

export const isUnavailable = (err: unknown, dependency: Dependency) =>
  err instanceof AppError && err.code === "UNAVAILABLE" && err.options.dependency === dependency;

export const busy = (cause?: unknown) =>
  new AppError("BUSY", 503, "Too many shoppers at once; try again shortly", { retryAfterSeconds: 1, cause });

export const notFound = (code: string, message: string) => new AppError(code, 404, message);

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
 * For `.catch(...)`: keeps AppErrors, turns anything else into UNAVAILABLE of
 * `dependency`, marked maybeCommitted when a Redis command may have run.
 */
export const rethrowAsUnavailable =
  (dependency: Dependency) =>
  (err: unknown): never => {
    if (err instanceof AppError) throw err;
    throw unavailable(dependency, err, dependency === "Redis" && redisMaybeRan(err));
  };
