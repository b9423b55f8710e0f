import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { LIMIT_REACHED, type Ledger } from "../../db/ledger";
import type { Logger } from "../../logger";
import type { StoredCoupon } from "../../coupon-store/coupon-store";
import type { QueueDepth, QueueStore } from "../../coupon-store/queue-store";
import { encodeOutcome } from "./outcome-messages";

export interface QueueWorkerOptions {
  /** Entries persisted per transaction. */
  readonly batchSize: number;
  /** A worker silent this long loses its batch to the others. */
  readonly visibilityTimeoutMs: number;
  /** How often to look for queues, stale batches and retries. */
  readonly tickMs: number;
}

export interface QueueWorkerEvents {
  batch(size: number): void;
  persisted(admittedAtMs: readonly number[]): void;
  deadLetters(count: number): void;
  /** PostgreSQL refused entries Redis admitted: Redis has drifted from the ledger. */
  drift(couponId: number): void;
}

const ENTRY = /^([1-9]\d{0,18}):(\d{1,15})$/;

/**
 * Drains queued coupons with the reliable-queue pattern: a batch is moved
 * to this worker's processing list (claimBatch), written to PostgreSQL in one
 * transaction, then settled (finishBatch). A worker that dies leaves its
 * batch in the processing list, where requeueStale finds it after the
 * visibility timeout. Writing a batch twice is harmless: rows already there
 * are skipped (ON CONFLICT DO NOTHING) and the counter grows only by what
 * was inserted, so none is lost and none is issued twice.
 */
export class QueueWorker {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  private readonly coupons = new Set<number>();
  private readonly draining = new Map<number, Promise<void>>();
  private readonly rerun = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly queues: QueueStore,
    private readonly ledger: Ledger,
    private readonly logger: Logger,
    private readonly events: QueueWorkerEvents,
    private readonly options: QueueWorkerOptions,
    /** The coupon as this process knows it: its queue is drained only if it carries the same ledger tag. */
    private readonly couponOf: (couponId: number) => Promise<StoredCoupon | undefined>,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  /** This process just queued work for the coupon: drain it now. */
  wake(couponId: number): void {
    if (!this.coupons.has(couponId)) {
      this.coupons.add(couponId);
      // At once, so the other workers can recover this queue should we die
      // before our next tick; if it fails, the tick writes it.
      this.queues.registry.add([couponId]).catch(() => undefined);
    }
    this.drain(couponId);
  }

  /** Entries waiting in the queues this worker knows, and how long the oldest at a queue's head has waited. */
  depth(): Promise<QueueDepth> {
    return this.queues.depth([...this.coupons], this.id);
  }

  /** Finishes the batches in hand; one that cannot be written goes back to its queue. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all(this.draining.values());
    await Promise.all([...this.coupons].map((id) => this.handBack(id).catch(() => undefined)));
  }

  private async tick(): Promise<void> {
    try {
      // Written every tick, not once: a Redis that lost its data lost the registry too.
      await this.queues.registry.add([...this.coupons]);
      for (const id of await this.queues.registry.members()) this.coupons.add(id);
      await Promise.all([...this.coupons].map((id) => this.recoverStale(id)));
      for (const id of this.coupons) this.drain(id);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "queue worker tick failed; retrying");
    }
  }

  private drain(couponId: number): void {
    if (this.closed) return;
    if (this.draining.has(couponId)) {
      this.rerun.add(couponId);
      return;
    }
    const run = this.drainLoop(couponId)
      .catch((err) => this.logger.warn({ couponId, err: (err as Error).message }, "queue drain failed; batch kept for retry"))
      .finally(() => {
        this.draining.delete(couponId);
        if (this.rerun.delete(couponId)) this.drain(couponId);
      });
    this.draining.set(couponId, run);
  }

  private async drainLoop(couponId: number): Promise<void> {
    const coupon = await this.couponOf(couponId);
    if (!coupon) return;
    while (!this.closed) {
      this.rerun.delete(couponId);
      const entries = await this.queues.claim(coupon, this.id, this.options.batchSize);
      if (entries.length === 0) return;
      await this.withHeartbeat(couponId, () => this.settle(couponId, entries));
    }
  }

  private async settle(couponId: number, entries: readonly string[]): Promise<void> {
    const valid: { userId: string; admittedAt: number }[] = [];
    const dead: string[] = [];
    for (const e of entries) {
      const m = ENTRY.exec(e);
      if (m) valid.push({ userId: m[1]!, admittedAt: Number(m[2]) });
      else dead.push(e);
    }
    const userIds = valid.map((v) => v.userId);
    const { issued, rejected } = await this.persist(couponId, userIds);
    if (rejected.length) this.events.drift(couponId);
    this.events.batch(userIds.length);
    this.events.persisted(valid.map((v) => v.admittedAt));
    if (dead.length) {
      this.events.deadLetters(dead.length);
      this.logger.error({ couponId, dead }, "unparseable queue entries moved to the dead-letter list");
    }
    await this.queues.finish(couponId, this.id, { dead, rejected, outcome: encodeOutcome({ issued, rejected, reason: LIMIT_REACHED }) });
  }

  /** One transaction for the batch; if it would pass the limit, one by one in queue order. */
  private async persist(couponId: number, userIds: readonly string[]) {
    const issued: string[] = [];
    const rejected: string[] = [];
    for (const [u, r] of await this.ledger.issueInOrder(couponId, userIds)) (r === "sold-out" ? rejected : issued).push(u);
    await this.ledger.recordRejections(couponId, rejected, LIMIT_REACHED);
    return { issued, rejected };
  }

  private async withHeartbeat<T>(couponId: number, work: () => Promise<T>): Promise<T> {
    const beat = setInterval(() => {
      void this.queues.heartbeat(couponId, this.id).catch(() => undefined);
    }, this.options.visibilityTimeoutMs / 3);
    try {
      return await work();
    } finally {
      clearInterval(beat);
    }
  }

  private async recoverStale(couponId: number): Promise<void> {
    const workers = await this.queues.heartbeats(couponId);
    const staleBefore = Date.now() - this.options.visibilityTimeoutMs;
    for (const [worker, seen] of Object.entries(workers)) {
      if (worker === this.id || Number(seen) > staleBefore) continue;
      const moved = await this.queues.requeue(couponId, worker, seen);
      if (moved > 0) this.logger.warn({ couponId, worker, moved }, "requeued the batch of a silent worker");
    }
  }

  private async handBack(couponId: number): Promise<void> {
    const seen = (await this.queues.heartbeats(couponId))[this.id];
    if (seen !== undefined) await this.queues.requeue(couponId, this.id, seen);
  }
}
