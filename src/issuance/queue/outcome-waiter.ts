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
  private readonly perCoupon = new Map<number, number>();
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
      await this.subscribe(couponId);
      const now = await check();
      if (now && now.status !== "PENDING") resolve(now);
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
    const n = this.perCoupon.get(couponId) ?? 0;
    this.perCoupon.set(couponId, n + 1);
    if (n > 0) return;
    if (!this.subscriber) {
      this.subscriber = subscriberClient(this.redis);
      this.subscriber.on("message", (channel: string, message: string) => this.deliver(channel, message));
    }
    await this.subscriber.subscribe(channelName(this.redis, couponKeys(couponId).channel));
  }

  private async unsubscribe(couponId: number): Promise<void> {
    const n = (this.perCoupon.get(couponId) ?? 1) - 1;
    if (n > 0) return void this.perCoupon.set(couponId, n);
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
