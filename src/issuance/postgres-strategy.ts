import type { Ledger } from "../db/ledger";
import { isAmbiguousWrite } from "../errors";
import type { HoldSweeper } from "./hold-sweeper";
import { isShut, shutOutcome } from "./sale";
import { statusWithHolds } from "./row-status";
import type { UncertainWrites } from "./uncertain-writes";
import { ALREADY_ISSUED, ISSUED, PENDING, SOLD_OUT, type CouponRef, type IssuanceStrategy, type IssueOutcome } from "./types";

/**
 * The baseline: what a team without Redis would build. One
 * statement per request bumps the counter only while below the limit and
 * inserts the row, while the sale is open. It is also the fallback while
 * Redis is down.
 */
export class PostgresStrategy implements IssuanceStrategy {
  readonly name = "postgres";
  readonly usesRedis = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly uncertain: UncertainWrites,
    private readonly holds: HoldSweeper,
  ) {}

  async issue(coupon: CouponRef, userId: string): Promise<IssueOutcome> {
    const result = await this.ledger.admitOne(coupon.id, userId).catch(async (err) => {
      if (!isAmbiguousWrite(err)) throw err;
      return this.uncertain.settle(coupon.id, userId, async () => undefined, () => this.holds.park(coupon.id, [userId], false));
    });
    if (result === "pending") return PENDING;
    if (isShut(result)) return shutOutcome(result);
    if (result === "issued") return ISSUED;
    return result === "duplicate" ? ALREADY_ISSUED : SOLD_OUT;
  }

  status(coupon: CouponRef, userId: string) {
    return statusWithHolds(this.ledger, this.holds, coupon.id, userId, true);
  }
}
