import type { Ledger } from "../db/ledger";
import type { RedisClient } from "../redis/client";
import { couponKeys } from "./coupon-keys";
import type { GroupCommit } from "./group-commit";
import type { RedisCouponState } from "./redis-coupon-state";
import { ALREADY_ISSUED, ISSUED, PENDING, SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "./types";
import { rowStatus } from "./row-status";
import type { UncertainWrites } from "./uncertain-writes";
import { isAmbiguousWrite } from "../errors";

const ADMITTED = 1;
const DUPLICATE = 2;

/**
 * SPEC §4.1. One Lua script decides admission (membership, limit, add,
 * re-verify) in a single Redis round trip; duplicates and sold-out answers
 * end there. An admitted shopper's row is then written by group commit, and
 * if that fails the Redis side is undone so the counts do not drift.
 */
export class RedisSetStrategy implements IssuanceStrategy {
  readonly name = "redis-set";
  readonly usesRedis = true;

  constructor(
    private readonly redis: RedisClient,
    private readonly ledger: Ledger,
    private readonly state: RedisCouponState,
    private readonly commit: GroupCommit,
    private readonly uncertain: UncertainWrites,
  ) {}

  async issue(coupon: CouponRef, userId: string): Promise<IssueOutcome> {
    const code = await this.admit(coupon.id, userId);
    if (code === DUPLICATE) return ALREADY_ISSUED;
    if (code !== ADMITTED) {
      this.state.auditSoldOut(coupon.id);
      return SOLD_OUT;
    }
    return this.persist(coupon.id, userId);
  }

  status(coupon: CouponRef, userId: string) {
    return rowStatus(this.ledger, coupon.id, userId);
  }

  private admit(couponId: number, userId: string): Promise<number> {
    const keys = couponKeys(couponId);
    return this.state.admit(couponId, () => this.redis.issueRedisSet(keys.meta, keys.issued, userId));
  }

  private async persist(couponId: number, userId: string): Promise<IssueOutcome> {
    let result;
    try {
      result = await this.commit.issue(couponId, userId);
    } catch (err) {
      if (!isAmbiguousWrite(err)) {
        // Nothing reached PostgreSQL: give the place back and answer 503.
        await this.undo(couponId, userId);
        throw err;
      }
      const settled = await this.uncertain.settle(couponId, userId, async (final) => {
        if (final === "sold-out") await this.undo(couponId, userId);
      });
      if (settled === "pending") return PENDING;
      result = settled;
    }
    if (result === "issued") return ISSUED;
    this.state.repairSoon(couponId);
    if (result === "duplicate") return ALREADY_ISSUED; // Redis had lost this member; it has it again now.
    // PostgreSQL refused: Redis admitted past the ledger's limit (e.g. while
    // it was being rebuilt). The ledger wins; give the place back.
    await this.undo(couponId, userId);
    return SOLD_OUT;
  }

  private async undo(couponId: number, userId: string): Promise<void> {
    // If this fails too, Redis keeps a member without a row until reconcile.
    await this.redis.srem(couponKeys(couponId).issued, userId).catch(() => undefined);
  }
}
