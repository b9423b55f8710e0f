import type { QueueStore } from "../../coupon-store/queue-store";
import { ChannelSubscriber, duplicateForSubscribe } from "../../lock";
import type { RedisClient } from "../../redis/client";
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
  private readonly subscriber: ChannelSubscriber;

  constructor(
    redis: RedisClient,
    private readonly queues: QueueStore,
  ) {
    this.subscriber = new ChannelSubscriber(
      () => duplicateForSubscribe(redis),
      (channel, message) => this.deliver(channel, message),
    );
  }

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
    const subscription = this.subscriber.listen(this.queues.outcomeChannel(couponId));
    try {
      // The request is already queued, so if Redis fails us here the true
      // answer is still "pending", not an error.
      await subscription.live
        .then(check)
        .then((now) => now && now.status !== "PENDING" && resolve(now))
        .catch(() => resolve(undefined));
      return await outcome;
    } finally {
      clearTimeout(timer);
      set.delete(resolve);
      if (set.size === 0) this.waiting.delete(key);
      subscription.close();
    }
  }

  async close(): Promise<void> {
    for (const set of this.waiting.values()) for (const r of set) r(undefined);
    this.subscriber.close();
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
