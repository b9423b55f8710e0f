import type { RedisClient } from "../redis/client";
import { changesChannel } from "./change-notices";
import { defineCouponCommands } from "./commands";
import { CouponRegistry } from "./coupon-registry";
import { couponKeys, HOLD_COUPONS_KEY } from "./keys";

/**
 * Holds: places taken by shoppers whose rows are not settled yet, each with
 * a settle-by time on Redis's clock, and the registry of coupons that may
 * have holds, so every process's sweeper can find them.
 */
export class HoldStore {
  /** Coupons that may have holds. */
  readonly registry: CouponRegistry;

  constructor(private readonly redis: RedisClient) {
    defineCouponCommands(redis);
    this.registry = new CouponRegistry(redis, HOLD_COUPONS_KEY);
  }

  /**
   * Parks shoppers as holds settled by `holdMs` from now (holdPlaces-2.lua).
   * `countPlaces` also adds them to the admitted set, for strategies whose
   * admitted set gains members only after their rows commit.
   */
  async park(couponId: number, userIds: readonly string[], holdMs: number, countPlaces: boolean): Promise<void> {
    const k = couponKeys(couponId);
    await this.redis.holdPlaces(k.issued, k.holds, holdMs, countPlaces ? 1 : 0, ...userIds);
  }

  async isHeld(couponId: number, userId: string): Promise<boolean> {
    return (await this.redis.zscore(couponKeys(couponId).holds, userId)) !== null;
  }

  /** Up to `max` holds whose settle-by time has passed. */
  expired(couponId: number, max: number): Promise<string[]> {
    return this.redis.expiredHolds(couponKeys(couponId).holds, max);
  }

  /** The rows are written: the holds end, the places stay taken. */
  async confirm(couponId: number, userIds: readonly string[]): Promise<void> {
    if (userIds.length) await this.redis.zrem(couponKeys(couponId).holds, ...userIds);
  }

  /** PostgreSQL refused them: their places go back to the sale (announced), unless confirmed meanwhile. */
  async release(couponId: number, userIds: readonly string[]): Promise<void> {
    const k = couponKeys(couponId);
    if (userIds.length) await this.redis.releaseHolds(k.issued, k.holds, changesChannel(this.redis), couponId, ...userIds);
  }
}
