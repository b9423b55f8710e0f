import { randomUUID } from "node:crypto";

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

const cache = new Map<number, CouponKeys>();

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

/** Coupons served by the queue strategy, so every worker can find every queue. */
export const QUEUE_COUPONS_KEY = "coupons:queue";

/** Coupons whose admissions are holds (redis-set), so every hold sweeper can find every coupon. */
export const HOLD_COUPONS_KEY = "coupons:holds";
