import { prefixedChannel } from "../lock";
import type { RedisClient } from "../redis/client";
import { changesChannel } from "./change-notices";
import { defineCouponCommands } from "./commands";
import { CouponRegistry } from "./coupon-registry";
import { couponKeys, processingKey, QUEUE_COUPONS_KEY } from "./keys";
import type { StoredCoupon } from "./coupon-store";

export interface QueueDepth {
  readonly queued: number;
  readonly processing: number;
  /** How long the oldest entry at the head of a queue has waited (0 if none waits). */
  readonly oldestAgeMs: number;
}

const ADMITTED_AT = /^\d+:(\d+)$/;

/** A persisted batch, as finishBatch-5.lua settles it. */
export interface FinishedBatch {
  /** Entries that could not be parsed, for the dead-letter list. */
  readonly dead: readonly string[];
  /** Shoppers PostgreSQL refused: their places go back (announced on the change channel). */
  readonly rejected: readonly string[];
  /** Published on the coupon's outcome channel for requests waiting with `Prefer: wait`. */
  readonly outcome: string;
}

/**
 * The queue strategy's Redis side: per-coupon FIFO lists drained by workers
 * with the reliable-queue pattern (claim into a processing list, finish,
 * requeue a silent worker's batch), their heartbeats, and the registry of
 * queued coupons so every worker finds every queue.
 */
export class QueueStore {
  /** Coupons served by the queue strategy. */
  readonly registry: CouponRegistry;

  constructor(private readonly redis: RedisClient) {
    defineCouponCommands(redis);
    this.registry = new CouponRegistry(redis, QUEUE_COUPONS_KEY);
  }

  /** Entries waiting in these coupons' queues and in this worker's processing lists, and the oldest entry's wait. */
  async depth(couponIds: readonly number[], workerId: string): Promise<QueueDepth> {
    const [queued, processing, heads] = await Promise.all([
      Promise.all(couponIds.map((id) => this.redis.llen(couponKeys(id).queue))),
      Promise.all(couponIds.map((id) => this.redis.llen(processingKey(id, workerId)))),
      Promise.all(couponIds.map((id) => this.redis.lindex(couponKeys(id).queue, 0))),
    ]);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const now = Date.now();
    // Entries are "userId:admittedAt" (admitToQueue-4.lua), admittedAt in ms on the admitting process's clock.
    const ages = heads.map((head) => {
      const admittedAt = head === null ? undefined : ADMITTED_AT.exec(head)?.[1];
      return admittedAt === undefined ? 0 : Math.max(0, now - Number(admittedAt));
    });
    return { queued: sum(queued), processing: sum(processing), oldestAgeMs: Math.max(0, ...ages) };
  }

  /** Admitted entries of one coupon still waiting in its queue, whichever process admitted them. */
  waiting(couponId: number): Promise<number> {
    return this.redis.llen(couponKeys(couponId).queue);
  }

  /** Moves up to `max` entries to the worker's processing list (an unfinished batch first); none from another ledger state. */
  claim(coupon: StoredCoupon, workerId: string, max: number): Promise<string[]> {
    const k = couponKeys(coupon.id);
    return this.redis.claimBatch(k.queue, processingKey(coupon.id, workerId), k.workers, k.meta, max, workerId, Date.now(), coupon.tag);
  }

  async finish(couponId: number, workerId: string, batch: FinishedBatch): Promise<void> {
    const k = couponKeys(couponId);
    await this.redis.finishBatch(
      processingKey(couponId, workerId),
      k.pending,
      k.issued,
      k.dead,
      k.workers,
      workerId,
      this.outcomeChannel(couponId),
      batch.outcome,
      changesChannel(this.redis),
      couponId,
      batch.dead.length,
      ...batch.dead,
      ...batch.rejected,
    );
  }

  async heartbeat(couponId: number, workerId: string): Promise<void> {
    await this.redis.hset(couponKeys(couponId).workers, workerId, Date.now());
  }

  /** Every worker's last heartbeat (ms) on the coupon's queue. */
  heartbeats(couponId: number): Promise<Record<string, string>> {
    return this.redis.hgetall(couponKeys(couponId).workers);
  }

  /** Hands `worker`'s batch back to the head of the queue if its heartbeat is still `seen`; returns how many moved. */
  requeue(couponId: number, worker: string, seen: string): Promise<number> {
    const k = couponKeys(couponId);
    return this.redis.requeueStale(k.workers, processingKey(couponId, worker), k.queue, worker, seen);
  }

  /** Where a worker announces settled batches (pub/sub channels carry the key prefix by hand). */
  outcomeChannel(couponId: number): string {
    return prefixedChannel(this.redis, couponKeys(couponId).channel);
  }
}
