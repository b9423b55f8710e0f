import { LockLostError } from "./errors";
import type { HeldLock } from "./types";

export type Extend = (lock: HeldLock, leaseMs: number) => Promise<HeldLock>;

/**
 * Keeps a lease alive while `using` runs its callback, like Redisson's
 * watchdog: extends every leaseMs/3, so two extensions may fail before the
 * lease ends. Aborts `signal` with a LockLostError when an extension finds
 * another owner, or when the lease ends before an extension got through.
 */
export class Watchdog {
  private readonly controller = new AbortController();
  private refreshTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private lastFailure?: unknown;
  private stopped = false;
  /** Set once the lease is known lost. */
  lost?: LockLostError;

  constructor(
    readonly lock: HeldLock,
    private readonly leaseMs: number,
    private readonly extend: Extend,
    private readonly onLost: (err: LockLostError) => void,
  ) {
    this.armExpiry();
    this.scheduleRefresh();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the timers; with a reason, also aborts the signal with it. */
  stop(reason?: Error): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.expiryTimer);
    if (reason) this.controller.abort(reason);
  }

  private scheduleRefresh(): void {
    this.refreshTimer = setTimeout(() => void this.refresh(), this.leaseMs / 3);
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => this.lose(new LockLostError(this.lock.resource, "the lease ended before it could be extended", { cause: this.lastFailure })),
      Math.max(0, this.lock.expiresAt - Date.now()),
    );
  }

  private async refresh(): Promise<void> {
    try {
      await this.extend(this.lock, this.leaseMs);
      if (this.stopped) return;
      this.armExpiry();
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof LockLostError) return this.lose(err);
      // Redis may be back by the next tick; the expiry timer decides when it is too late.
      this.lastFailure = err;
    }
    this.scheduleRefresh();
  }

  private lose(err: LockLostError): void {
    if (this.stopped) return;
    this.lost = err;
    this.stop(err);
    this.onLost(err);
  }
}
