import { randomBytes } from "node:crypto";
import { prefixedChannel } from "../lock";
import type { RedisClient } from "../redis/client";
import { defineCouponCommands } from "./commands";
import { COUPON_CHANGES_CHANNEL, REDIS_EPOCH_KEY } from "./keys";

/**
 * Where a change that frees or adds a place of a coupon is announced: the
 * scripts that make such changes PUBLISH the coupon id on this channel
 * themselves, atomically with the change, so no listener can miss a change
 * between it and its notice. One channel for every coupon (see CouponEvents).
 */
export const changesChannel = (redis: RedisClient): string => prefixedChannel(redis, COUPON_CHANGES_CHANNEL);

/** The Redis side of change notices: the channel, announcements made outside Lua, and beats. */
export class ChangeNotices {
  readonly channel: string;
  /** This process's own channel for its beats. */
  readonly beatChannel: string;

  constructor(private readonly redis: RedisClient) {
    defineCouponCommands(redis);
    this.channel = changesChannel(redis);
    this.beatChannel = prefixedChannel(redis, `${COUPON_CHANGES_CHANNEL}:beats:${randomBytes(6).toString("hex")}`);
  }

  /** Announces a change made outside Lua (a plain SADD); resolves once Redis took it. */
  async announce(couponId: number): Promise<void> {
    await this.redis.publish(this.channel, String(couponId));
  }

  /**
   * Publishes beat `n` on the beat channel as "n:epoch", the epoch being a
   * random value kept in Redis and made anew whenever Redis has lost it
   * (couponEventsBeat-1.lua).
   */
  beat(n: number): Promise<string> {
    return this.redis.couponEventsBeat(REDIS_EPOCH_KEY, this.beatChannel, n, randomBytes(8).toString("hex"));
  }
}
