import type { Ledger } from "../db/ledger";
import type { Logger } from "../logger";
import type { RedisClient } from "../redis/client";
import { changesChannel } from "./coupon-events";
import { couponKeys } from "./coupon-keys";
import type { GroupCommit } from "./group-commit";
import type { HoldSweeper } from "./hold-sweeper";
import { OUTCOME_UNKNOWN, type RedisCouponState } from "./redis-coupon-state";
import { statusWithHolds } from "./row-status";
import { ALREADY_ISSUED, EVERY_PLACE_TAKEN, ISSUED, PENDING, SOLD_OUT, type CouponRef, type IssuanceStatus, type IssuanceStrategy, type IssueOutcome } from "./types";

const ADMITTED = 1;
const DUPLICATE = 2;
const SOLD_OUT_CODE = 3;

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
    private readonly redis: RedisClient,
    private readonly ledger: Ledger,
    private readonly state: RedisCouponState,
    private readonly commit: GroupCommit,
    private readonly sweeper: HoldSweeper,
    private readonly logger: Logger,
    private readonly holdMs: number,
  ) {}

  async issue(coupon: CouponRef, userId: string): Promise<IssueOutcome> {
    this.sweeper.register(coupon.id);
    const code = await this.admit(coupon, userId);
    // Sent but unanswered: Redis may run it late. If it does, the hold is
    // settled by a sweeper and the status route tells the shopper.
    if (code === OUTCOME_UNKNOWN) return PENDING;
    if (code === DUPLICATE) return ALREADY_ISSUED;
    if (code === SOLD_OUT_CODE) return EVERY_PLACE_TAKEN;
    // ADMITTED (1), or HELD (4) by an earlier request of theirs: writing is idempotent.
    return this.persist(coupon.id, userId, code === ADMITTED);
  }

  /** ISSUED or REJECTED from the ledger; PENDING while a hold waits for its row. */
  status(coupon: CouponRef, userId: string): Promise<IssuanceStatus | undefined> {
    return statusWithHolds(this.ledger, this.sweeper, coupon.id, userId);
  }

  private admit(coupon: CouponRef, userId: string) {
    const k = couponKeys(coupon.id);
    return this.state.admitWrite(coupon, (tag) => this.redis.issueRedisSet(k.meta, k.issued, k.holds, userId, tag, this.holdMs));
  }

  private async persist(couponId: number, userId: string, admittedNow: boolean): Promise<IssueOutcome> {
    let result;
    try {
      result = await this.commit.issue(couponId, userId);
    } catch (err) {
      // Not written, or written with the reply lost: the hold stays, and a
      // sweeper settles it once PostgreSQL answers again.
      this.logger.debug({ couponId, userId, err: (err as Error).message }, "write unsettled; answered PENDING");
      return PENDING;
    }
    const keys = couponKeys(couponId);
    if (result === "sold-out") {
      // PostgreSQL refused: Redis admitted past the ledger's limit (e.g. while
      // it was being rebuilt). The ledger wins; give the place back. If that
      // cannot be confirmed, a sweeper will meet the same refusal.
      this.state.repairSoon(couponId);
      const released = await this.redis.releaseHolds(keys.issued, keys.holds, changesChannel(this.redis), couponId, userId).then(() => true, () => false);
      return released ? SOLD_OUT : PENDING;
    }
    // Confirming is best effort: an unconfirmed hold is found written by a sweeper.
    this.redis.zrem(keys.holds, userId).catch(() => undefined);
    if (result === "issued") return ISSUED;
    if (admittedNow) this.state.repairSoon(couponId); // Redis had lost this member; it has it again now.
    return ALREADY_ISSUED;
  }
}
