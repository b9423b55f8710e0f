import type { Ledger } from "../db/ledger";
import type { Logger } from "../logger";
import type { GroupCommit } from "./group-commit";
import type { HoldSweeper } from "./hold-sweeper";
import { OUTCOME_UNKNOWN, type CouponStore } from "../coupon-store/coupon-store";
import type { HoldStore } from "../coupon-store/hold-store";
import { statusWithHolds } from "./row-status";
import { isShut, shutOutcome } from "./sale";
import { ALREADY_ISSUED, EVERY_PLACE_TAKEN, ISSUED, PENDING, SOLD_OUT, type CouponRef, type IssuanceStatus, type IssuanceStrategy, type IssueOutcome } from "./types";

/**
 * One Lua script decides admission (membership, limit, add, re-verify) in a
 * single Redis round trip; duplicates and sold-out answers end there. An
 * admitted shopper holds a place until their row is written by group commit
 * and the hold confirmed. Whenever the outcome is unknown (Redis did not
 * answer the admission, PostgreSQL did not answer the write) the answer is
 * 202 PENDING and the hold settles in the background (see HoldSweeper): the
 * place is never given back to someone else while its shopper may hold it,
 * and nobody is told an error who will be issued.
 */
export class RedisSetStrategy implements IssuanceStrategy {
  readonly name = "redis-set";
  readonly usesRedis = true;

  constructor(
    private readonly store: CouponStore,
    private readonly holds: HoldStore,
    private readonly ledger: Ledger,
    private readonly commit: GroupCommit,
    private readonly sweeper: HoldSweeper,
    private readonly logger: Logger,
    private readonly holdMs: number,
  ) {}

  async issue(coupon: CouponRef, userId: string): Promise<IssueOutcome> {
    this.sweeper.register(coupon.id);
    const admission = await this.store.admitHold(coupon, userId, this.holdMs);
    // Sent but unanswered: Redis may run it late. If it does, the hold is
    // settled by a sweeper and the status route tells the shopper.
    if (admission === OUTCOME_UNKNOWN) return PENDING;
    if (isShut(admission)) return shutOutcome(admission);
    if (admission === "duplicate") return ALREADY_ISSUED;
    if (admission === "sold-out") return EVERY_PLACE_TAKEN;
    // Admitted now, or held by an earlier request of theirs: writing is idempotent.
    return this.persist(coupon.id, userId, admission === "admitted");
  }

  /** ISSUED or REJECTED from the ledger; PENDING while a hold waits for its row. */
  status(coupon: CouponRef, userId: string): Promise<IssuanceStatus | undefined> {
    return statusWithHolds(this.ledger, this.sweeper, coupon.id, userId);
  }

  private async persist(couponId: number, userId: string, admittedNow: boolean): Promise<IssueOutcome> {
    let result;
    try {
      result = await this.commit.issue({ couponId, userId });
    } catch (err) {
      // Not written, or written with the reply lost: the hold stays, and a
      // sweeper settles it once PostgreSQL answers again.
      this.logger.debug({ couponId, userId, err: (err as Error).message }, "write unsettled; answered PENDING");
      return PENDING;
    }
    if (result === "sold-out") {
      // PostgreSQL refused: Redis admitted past the ledger's limit (e.g. while
      // it was being rebuilt). The ledger wins; give the place back. If that
      // cannot be confirmed, a sweeper will meet the same refusal.
      this.store.repairSoon(couponId);
      const released = await this.holds.release(couponId, [userId]).then(() => true, () => false);
      return released ? SOLD_OUT : PENDING;
    }
    // Confirming is best effort: an unconfirmed hold is found written by a sweeper.
    this.holds.confirm(couponId, [userId]).catch(() => undefined);
    if (result === "issued") return ISSUED;
    if (admittedNow) this.store.repairSoon(couponId); // Redis had lost this member; it has it again now.
    return ALREADY_ISSUED;
  }
}
