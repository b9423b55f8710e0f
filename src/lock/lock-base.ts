import { randomBytes } from "node:crypto";
import { backoffMs } from "./backoff";
import { LockArgumentError, LockClosedError, LockLostError, LockTimeoutError, type LockUnavailableError } from "./errors";
import { lockKeys, type LockKeys } from "./keys";
import { LockMetrics, type LockMode } from "./metrics";
import { leaseEnd, ownerVerdict, quorumOf, rejections, type NodeReplies } from "./quorum";
import { prefixedChannel, type RedisConnection } from "./redis-connection";
import { ReleaseNotifier, type ReleaseListener } from "./release-notifier";
import { defineLockCommands } from "./scripts";
import type { AcquireOptions, DistributedLock, HeldLock, LockOptions } from "./types";
import { Watchdog } from "./watchdog";

/** How one try at the lock went. */
export type Attempt =
  | { readonly kind: "held"; readonly fence: bigint; /** Epoch ms before the first command went out. */ readonly startedAt: number }
  | Miss;

export type Miss =
  | { readonly kind: "busy"; /** When the holder's lease ends, if known. */ readonly retryInMs?: number }
  | {
      readonly kind: "unavailable";
      readonly error: LockUnavailableError;
      /**
       * Whether trying again within waitMs may help. When it cannot, waiting
       * only delays the same LockUnavailableError (up to the whole waitMs),
       * so acquire gives up at once.
       */
      readonly retry: boolean;
    };

const DEFAULT_RETRY_BASE_MS = 10;
const DEFAULT_RETRY_CAP_MS = 500;

/**
 * Everything both modes share: waiting (backoff with jitter, woken early by
 * release notifications), owner-checked release and extend on every node,
 * the watchdog of `using`, metrics and shutdown. A mode only says how one
 * try at the lock is made.
 */
export abstract class LockBase implements DistributedLock {
  protected readonly quorum: number;
  private readonly channelPrefix: string;
  private readonly notifier: ReleaseNotifier;
  private readonly metrics: LockMetrics;
  private readonly watchdogs = new Set<Watchdog>();
  private readonly retryBaseMs: number;
  private readonly retryCapMs: number;
  private readonly onError: (err: unknown) => void;
  private closed = false;

  protected constructor(
    protected readonly nodes: readonly RedisConnection[],
    mode: LockMode,
    options: LockOptions,
  ) {
    const first = nodes[0];
    if (!first) throw new LockArgumentError("a lock needs at least one Redis client");
    for (const node of nodes) defineLockCommands(node);
    this.quorum = quorumOf(nodes.length);
    this.channelPrefix = prefixedChannel(first, "");
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    this.retryCapMs = options.retryCapMs ?? DEFAULT_RETRY_CAP_MS;
    this.onError = options.onError ?? ((err) => process.emitWarning(err instanceof Error ? err : String(err)));
    this.notifier = new ReleaseNotifier(first, this.onError);
    this.metrics = new LockMetrics(mode, options.registry);
  }

  /** One try at the lock for `token`. */
  protected abstract attempt(keys: LockKeys, token: string, leaseMs: number): Promise<Attempt>;

  async acquire(resource: string, { waitMs, leaseMs }: AcquireOptions): Promise<HeldLock> {
    const keys = lockKeys(resource, this.channelPrefix);
    checkDuration("waitMs", waitMs, 0, resource);
    checkDuration("leaseMs", leaseMs, 1, resource);
    const started = performance.now();
    const token = randomBytes(16).toString("hex");
    let listener: ReleaseListener | undefined;
    try {
      // Bounded: every pass either returns, throws, or sleeps within what is left of waitMs.
      for (let retry = 0; ; retry++) {
        this.assertOpen(resource);
        const outcome = await this.take(keys, token, leaseMs);
        const waited = performance.now() - started;
        if ("fence" in outcome) {
          this.metrics.acquired(waited);
          return outcome;
        }
        const left = waitMs - waited;
        if (left <= 0 || (outcome.kind === "unavailable" && !outcome.retry)) throw this.giveUp(resource, waitMs, outcome);
        this.assertOpen(resource);
        listener ??= this.notifier.listen(keys.channel);
        const untilExpiry = outcome.kind === "busy" && outcome.retryInMs !== undefined ? outcome.retryInMs + 1 : Infinity;
        await listener.sleep(Math.min(backoffMs(retry, this.retryBaseMs, this.retryCapMs), untilExpiry, left));
      }
    } finally {
      listener?.close();
    }
  }

  async release(lock: HeldLock): Promise<void> {
    const keys = lockKeys(lock.resource, this.channelPrefix);
    const replies = await this.onNodes((node) => node.releaseLock(keys.lock, lock.token, keys.channel));
    this.metrics.released(Date.now() - lock.acquiredAt);
    this.throwUnlessOwner(lock, "release", replies);
  }

  async extend(lock: HeldLock, leaseMs: number): Promise<HeldLock> {
    checkDuration("leaseMs", leaseMs, 1, lock.resource);
    const keys = lockKeys(lock.resource, this.channelPrefix);
    const startedAt = Date.now();
    const replies = await this.onNodes((node) => node.extendLock(keys.lock, lock.token, leaseMs));
    this.throwUnlessOwner(lock, "extend", replies);
    const expiresAt = leaseEnd(startedAt, leaseMs);
    if (expiresAt <= Date.now()) throw this.lost(lock, new LockLostError(lock.resource, "the extension came back after its lease had ended"));
    lock.expiresAt = expiresAt;
    return lock;
  }

  async using<T>(resource: string, options: AcquireOptions, fn: (signal: AbortSignal, lock: HeldLock) => Promise<T>): Promise<T> {
    const lock = await this.acquire(resource, options);
    const watchdog = this.startWatchdog(lock, options.leaseMs);
    const outcome = await settle(() => fn(watchdog.signal, lock));
    watchdog.stop();
    this.watchdogs.delete(watchdog);
    const released = await settle(() => this.release(lock));
    const releaseError = released.status === "rejected" ? released.reason : undefined;
    // The lease ends by itself, so a release Redis did not answer costs others only a wait.
    if (releaseError && !(releaseError instanceof LockLostError)) this.onError(releaseError);
    if (outcome.status === "rejected") throw outcome.reason;
    const lost = watchdog.lost ?? (releaseError instanceof LockLostError ? releaseError : undefined);
    if (lost) throw lost;
    return outcome.value;
  }

  async advanceFence(resource: string, atLeast: bigint): Promise<void> {
    const keys = lockKeys(resource, this.channelPrefix);
    // With no owner token, raiseFence only raises the counter; it never touches a lock.
    await this.onNodes((node) => node.raiseFence(keys.lock, keys.fence, "", atLeast.toString()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watchdog of this.watchdogs) watchdog.stop(new LockClosedError(watchdog.lock.resource));
    this.watchdogs.clear();
    await this.notifier.close();
  }

  protected onNodes<T>(call: (node: RedisConnection) => Promise<T>): Promise<NodeReplies<T>> {
    return Promise.allSettled(this.nodes.map(call));
  }

  /** Deletes what a failed try left behind, so others need not wait for its lease to end. */
  protected async abandon(keys: LockKeys, token: string, nodes: readonly RedisConnection[] = this.nodes): Promise<void> {
    const replies = await Promise.allSettled(nodes.map((node) => node.releaseLock(keys.lock, token, keys.channel)));
    for (const err of rejections(replies)) this.onError(err);
  }

  /** A try, with a lease that ended before the answer came back counted as a miss. */
  private async take(keys: LockKeys, token: string, leaseMs: number): Promise<HeldLock | Miss> {
    const outcome = await this.attempt(keys, token, leaseMs);
    if (outcome.kind !== "held") return outcome;
    const expiresAt = leaseEnd(outcome.startedAt, leaseMs);
    if (expiresAt > Date.now()) return { resource: keys.resource, token, fence: outcome.fence, acquiredAt: Date.now(), expiresAt };
    await this.abandon(keys, token);
    return { kind: "busy" };
  }

  private startWatchdog(lock: HeldLock, leaseMs: number): Watchdog {
    const watchdog = new Watchdog(lock, leaseMs, (held, ms) => this.extend(held, ms), () => this.metrics.lost(lock));
    // close() may have run while acquire was returning; it could not stop this one.
    if (this.closed) watchdog.stop(new LockClosedError(lock.resource));
    else this.watchdogs.add(watchdog);
    return watchdog;
  }

  private giveUp(resource: string, waitMs: number, miss: Miss): Error {
    this.metrics.timedOut(miss.kind);
    return miss.kind === "unavailable" ? miss.error : new LockTimeoutError(resource, waitMs);
  }

  private throwUnlessOwner(lock: HeldLock, action: string, replies: NodeReplies<number>): void {
    const err = ownerVerdict(lock.resource, action, replies, this.quorum);
    if (err instanceof LockLostError) throw this.lost(lock, err);
    if (err) throw err;
  }

  private lost(lock: HeldLock, err: LockLostError): LockLostError {
    this.metrics.lost(lock);
    return err;
  }

  private assertOpen(resource: string): void {
    if (this.closed) throw new LockClosedError(resource);
  }
}

function checkDuration(name: string, value: number, min: number, resource: string): void {
  if (!Number.isInteger(value) || value < min) throw new LockArgumentError(`${name} must be an integer >= ${min}, got ${value}`, resource);
}

/** How `fn` ended, so cleanup can run before its failure is passed on. */
async function settle<T>(fn: () => Promise<T>): Promise<PromiseSettledResult<T>> {
  try {
    return { status: "fulfilled", value: await fn() };
  } catch (reason) {
    return { status: "rejected", reason };
  }
}
