import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";

/**
 * Redis keys of one coupon. They share the hash tag {id}, so every
 * multi-key script touches one Redis Cluster slot.
 */
export interface CouponKeys {
  readonly meta: string;
  readonly issued: string;
  readonly holds: string;
  readonly queue: string;
  readonly pending: string;
  readonly dead: string;
  readonly workers: string;
  readonly channel: string;
}

/** The key names of recently used coupons, so the hot path builds no strings; bounded however many coupons a process meets. */
const cache = new LRUCache<number, CouponKeys>({ max: 10_000 });

export function couponKeys(couponId: number): CouponKeys {
  let keys = cache.get(couponId);
  if (!keys) {
    const p = `coupon:{${couponId}}:`;
    keys = Object.freeze({
      meta: `${p}meta`,
      issued: `${p}issued`,
      holds: `${p}holds`,
      queue: `${p}queue`,
      pending: `${p}pending`,
      dead: `${p}dead`,
      workers: `${p}workers`,
      channel: `${p}events`,
    });
    cache.set(couponId, keys);
  }
  return keys;
}

/** Matches every key of one coupon (for SCAN). */
export const couponKeyPattern = (couponId: number) => `coupon:{${couponId}}:*`;

export const stagingKey = (couponId: number) => `coupon:{${couponId}}:staging:${randomUUID()}`;

/** A worker's processing list for one coupon (reliable-queue pattern). */
export const processingKey = (couponId: number, workerId: string) => `coupon:{${couponId}}:processing:${workerId}`;

/** Where every coupon's change notices are published (see change-notices.ts); not a key, so prefixed by hand. */
export const COUPON_CHANGES_CHANNEL = "coupons:changes";

/** A random value that changes whenever Redis loses its data (see couponEventsBeat-1.lua). */
export const REDIS_EPOCH_KEY = "coupons:epoch";

/** Coupons served by the queue strategy, so every worker can find every queue. */
export const QUEUE_COUPONS_KEY = "coupons:queue";

/** Coupons whose admissions are holds (redis-set), so every hold sweeper can find every coupon. */
export const HOLD_COUPONS_KEY = "coupons:holds";
