export type LockErrorCode = "LOCK_TIMEOUT" | "LOCK_LOST" | "LOCK_UNAVAILABLE" | "LOCK_CLOSED" | "LOCK_INVALID_ARGUMENT";

/** Every failure of the lock module; `code` is stable, the message is for people. */
export class LockError extends Error {
  constructor(
    readonly code: LockErrorCode,
    message: string,
    /** The resource concerned, when there is one. */
    readonly resource?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Someone else held the lock for the whole wait. */
export class LockTimeoutError extends LockError {
  constructor(resource: string, waitMs: number) {
    super("LOCK_TIMEOUT", `Lock "${resource}" is held by someone else; gave up after ${waitMs} ms`, resource);
  }
}

/**
 * The caller no longer holds the lock: its lease ended, or someone deleted or
 * took the key. Whatever ran after that ran without mutual exclusion.
 */
export class LockLostError extends LockError {
  constructor(resource: string, detail: string, options?: ErrorOptions) {
    super("LOCK_LOST", `Lock "${resource}" is no longer held: ${detail}`, resource, options);
  }
}

/** Redis (or, in Redlock mode, a quorum of nodes) did not answer. */
export class LockUnavailableError extends LockError {
  constructor(resource: string, detail: string, options?: ErrorOptions) {
    super("LOCK_UNAVAILABLE", `Lock "${resource}": ${detail}`, resource, options);
  }
}

export class LockClosedError extends LockError {
  constructor(resource: string) {
    super("LOCK_CLOSED", `Lock "${resource}": the lock service was closed`, resource);
  }
}

export class LockArgumentError extends LockError {
  constructor(detail: string, resource?: string) {
    super("LOCK_INVALID_ARGUMENT", resource === undefined ? detail : `Lock "${resource}": ${detail}`, resource);
  }
}
