import type { Registry } from "prom-client";

export interface AcquireOptions {
  /** How long to keep trying while someone else holds the lock; 0 tries once. */
  readonly waitMs: number;
  /** How long the lock stays held unless released or extended. */
  readonly leaseMs: number;
}

export interface HeldLock {
  readonly resource: string;
  /** Random per acquisition; only its bearer can release or extend. */
  readonly token: string;
  /**
   * Strictly increasing per resource across all acquisitions, so a store can
   * refuse writes carrying a token lower than one it has already seen.
   */
  readonly fence: bigint;
  /** Epoch ms. */
  readonly acquiredAt: number;
  /**
   * Epoch ms by which the lease has surely ended (clock drift already taken
   * off); moved forward by `extend`.
   */
  expiresAt: number;
}

export interface DistributedLock {
  /**
   * Waits up to `waitMs`; throws LockTimeoutError, or LockUnavailableError
   * when Redis did not answer (in Redlock mode, at once when a majority of
   * nodes did not answer, without waiting out `waitMs`).
   */
  acquire(resource: string, options: AcquireOptions): Promise<HeldLock>;
  /** Deletes the lock only if `lock` still owns it and wakes waiters; throws LockLostError otherwise. */
  release(lock: HeldLock): Promise<void>;
  /** Sets the lease to `leaseMs` from now, only if `lock` still owns it; throws LockLostError otherwise. */
  extend(lock: HeldLock, leaseMs: number): Promise<HeldLock>;
  /**
   * Runs `fn` under the lock, extends the lease every leaseMs/3 while it runs,
   * and releases afterwards. `signal` aborts with a LockLostError once the
   * lease is lost; `using` then rejects with that error even if `fn` resolved,
   * because part of `fn` ran without mutual exclusion.
   */
  using<T>(
    resource: string,
    options: AcquireOptions,
    fn: (signal: AbortSignal, lock: HeldLock) => Promise<T>,
  ): Promise<T>;
  /**
   * Raises the resource's fencing counter to at least `atLeast` on every node
   * that answers. For a store that has seen newer tokens than Redis remembers
   * (Redis lost its data): later acquisitions then carry tokens it accepts.
   */
  advanceFence(resource: string, atLeast: bigint): Promise<void>;
  /**
   * Stops waiters (LockClosedError) and watchdogs (their signals abort) and
   * closes the subscriber connection. The Redis clients stay the caller's.
   */
  close(): Promise<void>;
}

export interface LockOptions {
  /** First retry backoff step; each retry doubles it up to `retryCapMs`. Default 10. */
  readonly retryBaseMs?: number;
  /** Longest sleep between retries when no release notification arrives. Default 500. */
  readonly retryCapMs?: number;
  /** Where to register the lock metrics; none are kept without one. */
  readonly registry?: Registry;
  /**
   * Failures the lock survives but someone should see: a release-notification
   * subscription that failed (waiters fall back to backoff), or a release that
   * failed after `fn` threw. Default: process.emitWarning.
   */
  readonly onError?: (err: unknown) => void;
}
