import { rethrowAsUnavailable } from "../../errors";
import type { Ledger } from "../../db/ledger";
import { OUTCOME_UNKNOWN, type CouponStore } from "../../coupon-store/coupon-store";
import { rowStatus } from "../row-status";
import { isShut, shutOutcome } from "../sale";
import {
  ALREADY_ISSUED,
  EVERY_PLACE_TAKEN,
  ISSUED,
  PENDING,
  SOLD_OUT,
  type CouponRef,
  type IssuanceStatus,
  type IssuanceStrategy,
  type IssueOptions,
  type IssueOutcome,
} from "../types";
import type { OutcomeWaiter } from "./outcome-waiter";
import type { QueueWorker } from "./queue-worker";

const PENDING_STATUS: IssuanceStatus = Object.freeze({ status: "PENDING" });

/**
 * Admission is decided in Redis at once (admitToQueue-4.lua), so
 * every request gets an answer and the queue never holds more than the
 * coupons left; admitted requests are persisted by the workers in FIFO
 * batches. The answer is 202 PENDING, or with `Prefer: wait=N` the final
 * answer if it comes within N seconds.
 */
export class QueueStrategy implements IssuanceStrategy {
  readonly name = "queue";
  readonly usesRedis = true;

  constructor(
    private readonly store: CouponStore,
    private readonly ledger: Ledger,
    private readonly worker: QueueWorker,
    private readonly waiter: OutcomeWaiter,
  ) {}

  async issue(coupon: CouponRef, userId: string, options: IssueOptions): Promise<IssueOutcome> {
    const admission = await this.store.admitToQueue(coupon, userId);
    // Sent but unanswered: Redis may still queue it (a stalled server runs
    // what it holds when it wakes), and the worker would then issue this
    // shopper. Only PENDING stays true either way; the status route tells.
    if (admission === OUTCOME_UNKNOWN) return PENDING;
    if (isShut(admission)) return shutOutcome(admission);
    if (admission === "duplicate") return ALREADY_ISSUED;
    if (admission === "sold-out") return EVERY_PLACE_TAKEN;
    // Drain now; the worker's tick also tells every other process's worker about this queue.
    if (admission === "admitted") this.worker.wake(coupon.id);
    if (!options.waitMs) return PENDING;
    const final = await this.waiter.wait(coupon.id, userId, options.waitMs, () => this.status(coupon, userId));
    if (final?.status === "ISSUED") return ISSUED;
    return final?.status === "REJECTED" ? SOLD_OUT : PENDING;
  }

  /** PENDING from Redis while queued; ISSUED or REJECTED from PostgreSQL once final. */
  async status(coupon: CouponRef, userId: string): Promise<IssuanceStatus | undefined> {
    const pending = await this.store.isQueued(coupon.id, userId).catch(rethrowAsUnavailable("Redis"));
    return pending ? PENDING_STATUS : rowStatus(this.ledger, coupon.id, userId);
  }

  async close(): Promise<void> {
    await this.waiter.close();
    await this.worker.close();
  }
}
