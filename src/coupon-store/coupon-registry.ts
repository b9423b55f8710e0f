import type { RedisClient } from "../redis/client";

/**
 * A set of coupon ids in Redis that every process can read: which coupons
 * may have holds, or queues, so any process's background work finds the work
 * of a process that died. Writers add to it every tick, not once: a Redis
 * that lost its data lost the registry too.
 */
export class CouponRegistry {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
  ) {}

  async add(couponIds: readonly number[]): Promise<void> {
    if (couponIds.length) await this.redis.sadd(this.key, ...couponIds.map(String));
  }

  async members(): Promise<number[]> {
    return (await this.redis.smembers(this.key)).map(Number);
  }
}
