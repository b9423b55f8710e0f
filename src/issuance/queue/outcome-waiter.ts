import { channelName, subscriberClient, type RedisClient } from "../../redis/client";
import { couponKeys } from "../coupon-keys";
import type { IssuanceStatus } from "../types";
import { decodeOutcome } from "./outcome-messages";

type Resolve = (status: IssuanceStatus | undefined) => void;

/**
 * Lets requests with `Prefer: wait=N` sleep until their queued request is
 * settled, without polling: one subscriber connection per process,
 * subscribed to a coupon's channel while anyone here waits on it.
 */
export class OutcomeWaiter {
  private readonly waiting = new Map<string, Set<Resolve>>();
  /** How many wait here per coupon, and when their shared subscription is live. */
  private readonly perCoupon = new Map<number, { count: number; live: Promise<void> }>();
  private subscriber: RedisClient | undefined;

  constructor(private readonly redis: RedisClient) {}

  /**
   * Resolves with the outcome, or undefined after `ms`. `check` is asked once
   * the subscription is live, so an outcome published just before is not missed.
   */
  async wait(
    couponId: number,
    userId: string,
    ms: number,
    check: () => Promise<IssuanceStatus | undefined>,
  ): Promise<IssuanceStatus | undefined> {
    const key = `${couponId}:${userId}`;
    let resolve!: Resolve;
    const outcome = new Promise<IssuanceStatus | undefined>((r) => (resolve = r));
    const set = this.waiting.get(key) ?? new Set();
    set.add(resolve);
    this.waiting.set(key, set);
    const timer = setTimeout(() => resolve(undefined), ms);
    try {
      // The request is already queued, so if Redis fails us here the true
      // answer is still "pending", not an error.
      await this.subscribe(couponId)
        .then(check)
        .then((now) => now && now.status !== "PENDING" && resolve(now))
        .catch(() => resolve(undefined));
      return await outcome;
    } finally {
      clearTimeout(timer);
      set.delete(resolve);
      if (set.size === 0) this.waiting.delete(key);
      await this.unsubscribe(couponId);
    }
  }

  async close(): Promise<void> {
    for (const set of this.waiting.values()) for (const r of set) r(undefined);
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }

  private async subscribe(couponId: number): Promise<void> {
    const entry = this.perCoupon.get(couponId);
    if (entry) {
      entry.count++;
      // The first waiter's SUBSCRIBE may still be in flight: checking before
      // it is live would open a window in which an outcome is missed.
      return entry.live;
    }
    if (!this.subscriber) {
      this.subscriber = subscriberClient(this.redis);
      this.subscriber.on("message", (channel: string, message: string) => this.deliver(channel, message));
    }
    const live = this.subscriber.subscribe(channelName(this.redis, couponKeys(couponId).channel)).then(() => undefined);
    this.perCoupon.set(couponId, { count: 1, live });
    return live;
  }

  private async unsubscribe(couponId: number): Promise<void> {
    const entry = this.perCoupon.get(couponId);
    if (!entry) return;
    if (--entry.count > 0) return;
    this.perCoupon.delete(couponId);
    await this.subscriber?.unsubscribe(channelName(this.redis, couponKeys(couponId).channel)).catch(() => undefined);
  }

  private deliver(channel: string, message: string): void {
    const couponId = /\{(\d+)\}/.exec(channel)?.[1];
    const outcome = decodeOutcome(message);
    if (!couponId || !outcome) return;
    const notify = (ids: readonly string[], status: IssuanceStatus) => {
      for (const id of ids) for (const r of this.waiting.get(`${couponId}:${id}`) ?? []) r(status);
    };
    notify(outcome.issued, { status: "ISSUED" });
    notify(outcome.rejected, { status: "REJECTED", reason: outcome.reason });
  }
}
