import type { Redis } from "ioredis";
import { couponKeyPattern, QUEUE_COUPONS_KEY } from "../../src/coupon-store/keys";

const SCAN_COUNT = 500;
/** Bounds the SCAN of one coupon's keys; a coupon has a handful, so this is never reached in practice. */
const MAX_SCAN_ROUNDS = 1_000;

/**
 * Deletes the Redis keys of the bench's coupons once the service is gone,
 * so repeated runs do not pile sets of thousands of users into a shared
 * Redis. PostgreSQL keeps the rows; Redis state is rebuildable from it (docs/guarantees.md, promise 6).
 */
export async function dropCouponKeys(redis: Redis, prefix: string, couponIds: readonly number[]): Promise<number> {
  let dropped = 0;
  for (const id of couponIds) {
    let cursor = "0";
    for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}${couponKeyPattern(id)}`, "COUNT", SCAN_COUNT);
      if (keys.length) dropped += await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  }
  if (couponIds.length) await redis.srem(`${prefix}${QUEUE_COUPONS_KEY}`, ...couponIds.map(String));
  return dropped;
}

/** Bounds the sweep of a whole prefix: 10,000 rounds of SCAN_COUNT keys is far more than a bench leaves. */
const MAX_SWEEP_ROUNDS = 10_000;

/**
 * Deletes every key under `prefix`. Called with a freshly dropped database:
 * coupon ids start again at 1, and an old run's keys for coupon 1 would
 * otherwise be taken for the new coupon 1's state.
 */
export async function dropPrefixKeys(redis: Redis, prefix: string): Promise<number> {
  if (!prefix) throw new Error("refusing to sweep Redis without a key prefix");
  let dropped = 0;
  let cursor = "0";
  for (let round = 0; round < MAX_SWEEP_ROUNDS; round++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", SCAN_COUNT);
    if (keys.length) dropped += await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  return dropped;
}
