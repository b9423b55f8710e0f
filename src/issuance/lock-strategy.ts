import { busy, isAmbiguousWrite, unavailable } from "../errors";
import type { Ledger, WriteResult } from "../db/ledger";
import { LockTimeoutError, LockUnavailableError, type DistributedLock, type HeldLock } from "../lock";
import type { CouponStore } from "../coupon-store/coupon-store";
import { BatcherFullError, KeyedBatcher } from "./batcher";
import type { HoldSweeper } from "./hold-sweeper";
import { statusWithHolds } from "./row-status";
import { isShut, shutOutcome } from "./sale";
import type { UncertainWrites } from "./uncertain-writes";
import { ALREADY_ISSUED, EVERY_PLACE_TAKEN, ISSUED, outcomeOf, PENDING, SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "./types";

const MAX_BATCH = 500;
/** Shoppers waiting for their coupon's lock in this process, at most; more are told BUSY at once. */
const MAX_WAITING = 10_000;

export interface LockStrategyOptions {
  /** How long a request may wait for the coupon's lock before answering 503 BUSY. */
  readonly waitMs: number;
  /** The lease; the lock's watchdog extends it while the critical section runs. */
  readonly leaseMs: number;
  /** Fault injection for tests: a pause inside the critical section, before the write. */
  readonly faultPauseMs?: number;
}

interface Waiter {
  readonly coupon: CouponRef;
  readonly userId: string;
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
 *
 * Unlike group commit, a hold writes only its own coupon's rows: each write
 * happens under that coupon's lock and fence, and sharing a transaction with
 * other coupons would stretch every holder's critical section (and lease) to
 * the slowest coupon in the batch, while the per-hold Redis round trips
 * (acquire, check, record, release) would still be paid once per coupon.
 */
export class LockStrategy implements IssuanceStrategy {
  readonly name = "lock";
  readonly usesRedis = true;
  /** Per coupon: the shoppers waiting while a hold runs go in the next hold together. */
  private readonly combiner = new KeyedBatcher<number, Waiter, Decision>(
    (_couponId, waiters) => this.underLock(waiters[0]!.coupon, waiters.map((w) => w.userId)),
    { maxBatch: MAX_BATCH, maxQueued: MAX_WAITING },
  );

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
    if (fast === "sold-out") return EVERY_PLACE_TAKEN;
    const decision = await this.combiner.add(coupon.id, { coupon, userId }).catch((err: unknown) => {
      throw err instanceof BatcherFullError ? busy(err) : err;
    });
    if (decision instanceof Error) throw decision;
    return decision;
  }

  status(coupon: CouponRef, userId: string) {
    return statusWithHolds(this.ledger, this.holds, coupon.id, userId);
  }

  async close(): Promise<void> {
    await this.lock.close();
  }

  /** One hold of the coupon's lock for these shoppers; the answers in their order. */
  private async underLock(coupon: CouponRef, users: readonly string[]): Promise<Decision[]> {
    let decided: Map<string, Decision> | undefined;
    try {
      await this.lock.using(`coupon:${coupon.id}`, this.options, async (_signal, held) => {
        decided = await this.critical(coupon, users, held);
      });
    } catch (err) {
      // A lease lost after the ledger accepted our fenced write changes nothing.
      if (!decided) throw err instanceof LockTimeoutError ? busy(err) : err instanceof LockUnavailableError ? unavailable("Redis", err) : err;
    }
    // A shopper who asked twice in one batch is told ISSUED once.
    const told = new Set<string>();
    return users.map((u) => {
      const outcome = decided!.get(u)!;
      const answer = outcome === ISSUED && told.has(u) ? ALREADY_ISSUED : outcome;
      told.add(u);
      return answer;
    });
  }

  private async critical(coupon: CouponRef, asked: readonly string[], held: HeldLock): Promise<Map<string, Decision>> {
    const couponId = coupon.id;
    const users = [...new Set(asked)];
    const checks = await this.store.checkAdmissions(coupon, users);
    // Paused or closed since they arrived: none of them was admitted yet.
    if (isShut(checks)) return new Map(users.map((u) => [u, shutOutcome(checks)]));
    const { room, admitted } = checks;
    const decided = new Map<string, Decision>();
    const candidates = users.filter((u, i) => (admitted[i] ? (decided.set(u, ALREADY_ISSUED), false) : true));
    const winners = candidates.slice(0, Math.max(0, room));
    // No room at all means every place is taken; some room means the winners may yet fail to take theirs.
    const turnedAway = room <= 0 ? EVERY_PLACE_TAKEN : SOLD_OUT;
    for (const u of candidates.slice(winners.length)) decided.set(u, turnedAway);
    if (winners.length === 0) return decided;

    if (this.options.faultPauseMs) await new Promise((r) => setTimeout(r, this.options.faultPauseMs));
    // One transaction under the lock's fencing token (Ledger.issue).
    const written = await this.ledger
      .issue(
        winners.map((userId) => ({ couponId, userId })),
        new Map([[couponId, held.fence]]),
      )
      .then((results) => new Map(winners.map((u, i) => [u, results[i]!])))
      .catch((err) => this.settleUncertain(couponId, winners, err));
    if (winners.some((u) => written.get(u) === "fenced")) await this.catchUpFence(couponId, held);
    // Settled uncertain writes told Redis themselves.
    const holders = winners.filter((u) => written.get(u) === "issued" || written.get(u) === "duplicate");
    // Redis learns the holders only now that their rows have committed.
    if (holders.length) await this.store.addAdmitted(couponId, holders).catch(() => this.store.repairSoon(couponId));
    for (const u of winners) decided.set(u, this.decide(couponId, written.get(u)!));
    return decided;
  }

  /**
   * The write broke after it was sent and may have committed: settle each
   * winner on its own (see UncertainWrites); those still unknown are PENDING.
   */
  private async settleUncertain(couponId: number, winners: readonly string[], err: unknown): Promise<Map<string, WriteResult | "pending">> {
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
    return new Map(winners.map((u, i) => [u, settled[i]!]));
  }

  private decide(couponId: number, result: WriteResult | "pending"): Decision {
    if (result === "pending") return PENDING;
    // Nothing of theirs was written: they may simply try again.
    if (result === "fenced") return busy();
    // "sold-out" or "duplicate" here means Redis had drifted from the ledger.
    if (result !== "issued") this.store.repairSoon(couponId);
    return outcomeOf(result);
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
