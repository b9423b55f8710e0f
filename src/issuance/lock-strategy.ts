import { busy, isAmbiguousWrite, unavailable } from "../errors";
import type { Ledger, SingleIssueResult } from "../db/ledger";
import { LockTimeoutError, LockUnavailableError, type DistributedLock, type HeldLock } from "../lock";
import type { CouponStore } from "../coupon-store/coupon-store";
import type { HoldSweeper } from "./hold-sweeper";
import { statusWithHolds } from "./row-status";
import { isShut, shutOutcome } from "./sale";
import type { UncertainWrites } from "./uncertain-writes";
import { ALREADY_ISSUED, ISSUED, PENDING, SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "./types";

const MAX_BATCH = 500;

export interface LockStrategyOptions {
  /** How long a request may wait for the coupon's lock before answering 503 BUSY. */
  readonly waitMs: number;
  /** The lease; the lock's watchdog extends it while the critical section runs. */
  readonly leaseMs: number;
  /** Fault injection for tests: a pause inside the critical section, before the write. */
  readonly faultPauseMs?: number;
}

interface Waiter {
  readonly userId: string;
  resolve(outcome: IssueOutcome): void;
  reject(err: unknown): void;
}

/** Each shopper's answer: an outcome, or the error to answer them with (BUSY when fenced). */
type Decision = IssueOutcome | Error;

/**
 * Duplicates and sold-out answers come from Redis without waiting
 * for the lock. The rest queue in this process, and the process takes the
 * coupon's distributed lock once for everyone queued (so each process is one
 * contender, not hundreds). Inside the lock: membership and the limit are
 * checked again for the whole batch, the winners' rows are written in one
 * transaction carrying the lock's fencing token (PostgreSQL refuses a token
 * older than one it has seen, so a holder paused past its lease cannot
 * write), and Redis learns the winners only after commit. No lock in time
 * means 503 BUSY, never "proceed without the lock".
 */
export class LockStrategy implements IssuanceStrategy {
  readonly name = "lock";
  readonly usesRedis = true;
  private readonly queues = new Map<number, Waiter[]>();

  constructor(
    private readonly store: CouponStore,
    private readonly ledger: Ledger,
    private readonly lock: DistributedLock,
    private readonly options: LockStrategyOptions,
    private readonly uncertain: UncertainWrites,
    private readonly holds: HoldSweeper,
  ) {}

  async issue(coupon: CouponRef, userId: string): Promise<IssueOutcome> {
    // Reads only: when Redis does not answer, nothing has changed and 503 is the truth.
    const fast = await this.store.checkAdmission(coupon, userId);
    if (isShut(fast)) return shutOutcome(fast);
    if (fast === "duplicate") return ALREADY_ISSUED;
    if (fast === "sold-out") return SOLD_OUT;
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(coupon.id);
      if (queue) return void queue.push({ userId, resolve, reject });
      this.queues.set(coupon.id, [{ userId, resolve, reject }]);
      void this.drain(coupon);
    });
  }

  status(coupon: CouponRef, userId: string) {
    return statusWithHolds(this.ledger, this.holds, coupon.id, userId);
  }

  async close(): Promise<void> {
    await this.lock.close();
  }

  private async drain(coupon: CouponRef): Promise<void> {
    const queue = this.queues.get(coupon.id)!;
    while (queue.length > 0) await this.underLock(coupon, queue.splice(0, MAX_BATCH));
    this.queues.delete(coupon.id);
  }

  private async underLock(coupon: CouponRef, batch: readonly Waiter[]): Promise<void> {
    const couponId = coupon.id;
    let decided: Map<string, Decision> | undefined;
    try {
      await this.lock.using(`coupon:${couponId}`, this.options, async (_signal, held) => {
        decided = await this.critical(coupon, batch, held);
      });
    } catch (err) {
      // A lease lost after the ledger accepted our fenced write changes nothing.
      if (!decided) {
        const answer = err instanceof LockTimeoutError ? busy(err) : err instanceof LockUnavailableError ? unavailable("Redis", err) : err;
        for (const w of batch) w.reject(answer);
        return;
      }
    }
    // A shopper who asked twice in one batch is told ISSUED once.
    const told = new Set<string>();
    for (const w of batch) {
      const outcome = decided!.get(w.userId)!;
      if (outcome instanceof Error) w.reject(outcome);
      else w.resolve(outcome === ISSUED && told.has(w.userId) ? ALREADY_ISSUED : outcome);
      told.add(w.userId);
    }
  }

  private async critical(coupon: CouponRef, batch: readonly Waiter[], held: HeldLock): Promise<Map<string, Decision>> {
    const couponId = coupon.id;
    const users = [...new Set(batch.map((w) => w.userId))];
    const checks = await this.store.checkAdmissions(coupon, users);
    // Paused or closed since they arrived: none of them was admitted yet.
    if (isShut(checks)) return new Map(users.map((u) => [u, shutOutcome(checks)]));
    const { room, admitted } = checks;
    const decided = new Map<string, Decision>();
    const candidates = users.filter((u, i) => (admitted[i] ? (decided.set(u, ALREADY_ISSUED), false) : true));
    const winners = candidates.slice(0, Math.max(0, room));
    for (const u of candidates.slice(winners.length)) decided.set(u, SOLD_OUT);
    if (winners.length === 0) return decided;

    if (this.options.faultPauseMs) await new Promise((r) => setTimeout(r, this.options.faultPauseMs));
    const written = await this.write(couponId, winners, held).catch((err) => this.settleUncertain(couponId, winners, err));
    if (winners.some((u) => !written.has(u))) await this.catchUpFence(couponId, held);
    // Settled uncertain writes told Redis themselves.
    const holders = winners.filter((u) => written.get(u) === "issued" || written.get(u) === "duplicate");
    // Redis learns the holders only now that their rows have committed.
    if (holders.length) await this.store.addAdmitted(couponId, holders).catch(() => this.store.repairSoon(couponId));
    for (const u of winners) decided.set(u, this.decide(couponId, written.get(u) ?? "fenced"));
    return decided;
  }

  /**
   * The write broke after it was sent and may have committed: settle each
   * winner on its own (see UncertainWrites); those still unknown are PENDING.
   */
  private async settleUncertain(couponId: number, winners: readonly string[], err: unknown) {
    if (!isAmbiguousWrite(err)) throw err;
    const settled = await Promise.all(
      winners.map((u) =>
        this.uncertain.settle(
          couponId,
          u,
          async (final) => {
            if (final !== "sold-out") await this.store.addAdmitted(couponId, [u]);
          },
          () => this.holds.park(couponId, [u], true),
        ),
      ),
    );
    const results = new Map<string, SingleIssueResult | "pending">(winners.map((u, i) => [u, settled[i]!]));
    return results;
  }

  private decide(couponId: number, result: SingleIssueResult | "pending"): Decision {
    if (result === "pending") return PENDING;
    // Nothing of theirs was written: they may simply try again.
    if (result === "fenced") return busy();
    // "sold-out" or "duplicate" here means Redis had drifted from the ledger.
    if (result !== "issued") this.store.repairSoon(couponId);
    return result === "issued" ? ISSUED : result === "duplicate" ? ALREADY_ISSUED : SOLD_OUT;
  }

  /**
   * One fenced statement for one winner, one fenced transaction for several.
   * Winners missing from the result were not written: fenced.
   */
  private async write(couponId: number, winners: readonly string[], held: HeldLock): Promise<Map<string, SingleIssueResult>> {
    const results = new Map<string, SingleIssueResult>();
    if (winners.length > 1) {
      const r = await this.ledger.issueBatchFenced(couponId, winners, held.fence);
      if (r.ok) for (const u of winners) results.set(u, r.inserted.has(u) ? "issued" : "duplicate");
      if (r.ok || r.reason === "fenced") return results;
    }
    // One winner, or a batch the ledger found past its limit: one at a time, in order.
    for (const u of winners) {
      const r = await this.ledger.issueOne(couponId, u, held.fence);
      if (r === "fenced") return results;
      results.set(u, r);
    }
    return results;
  }

  /**
   * A newer holder has written, or Redis lost the fence counter while
   * PostgreSQL kept a higher one: catch the counter up, so the shoppers'
   * retries carry a token PostgreSQL accepts.
   */
  private async catchUpFence(couponId: number, held: HeldLock): Promise<void> {
    const seen = await this.ledger.fenceToken(couponId);
    if (seen !== undefined && seen >= held.fence) await this.lock.advanceFence(`coupon:${couponId}`, seen);
  }
}
