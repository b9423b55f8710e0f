import { isUnavailable, couponNotFound } from "../errors";
import type { Metrics } from "../metrics";
import type { CouponCatalog } from "./coupon-catalog";
import { ENDED, NOT_STARTED } from "./sale";
import type { StrategyName } from "./strategy-names";
import type { UncertainWrites } from "./uncertain-writes";
import type { CouponRef, IssuanceStatus, IssuanceStrategy, IssueOptions, IssueOutcome } from "./types";

const PENDING_STATUS: IssuanceStatus = Object.freeze({ status: "PENDING" });

export type StrategySet = Readonly<Record<StrategyName, IssuanceStrategy>>;

/**
 * Routes each request to its coupon's strategy (a property of the coupon, so
 * one coupon is never served by two strategies at once), enforces the sale
 * window, and counts outcomes. With a fallback, a Redis outage is served by
 * the postgres path, which is exact because PostgreSQL enforces the limit.
 */
export class IssuanceService {
  constructor(
    private readonly catalog: CouponCatalog,
    private readonly strategies: StrategySet,
    private readonly metrics: Metrics,
    private readonly uncertain: UncertainWrites,
    private readonly fallback?: IssuanceStrategy,
  ) {}

  async issue(couponId: number, userId: string, options: IssueOptions = {}): Promise<IssueOutcome> {
    const coupon = await this.coupon(couponId);
    // A fast answer for the crowd outside the window, from memory. Admission
    // itself checks the window (and any pause or close) again, in Redis or in
    // PostgreSQL, so a window edited in another process is never overstepped.
    const now = Date.now();
    if (coupon.startsAt && now < coupon.startsAt.getTime()) return this.count(coupon, NOT_STARTED);
    if (coupon.endsAt && now >= coupon.endsAt.getTime()) return this.count(coupon, ENDED);
    const strategy = this.strategies[coupon.strategy];
    const stop = this.metrics.issueDuration.startTimer({ strategy: coupon.strategy });
    try {
      return this.count(coupon, await strategy.issue(coupon, userId, options));
    } catch (err) {
      if (this.fallback && strategy.usesRedis && isUnavailable(err, "Redis")) {
        this.metrics.fallbacks.inc();
        return this.count(coupon, await this.fallback.issue(coupon, userId, options));
      }
      this.metrics.issueOutcomes.inc({ strategy: coupon.strategy, result: "error" });
      throw err;
    } finally {
      stop();
    }
  }

  async status(couponId: number, userId: string): Promise<IssuanceStatus | undefined> {
    const coupon = await this.coupon(couponId);
    if (this.uncertain.isPending(couponId, userId)) return PENDING_STATUS;
    return this.strategies[coupon.strategy].status(coupon, userId);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.strategies).map((s) => s.close?.()));
  }

  private async coupon(couponId: number): Promise<CouponRef> {
    const coupon = await this.catalog.get(couponId);
    if (!coupon) throw couponNotFound(couponId);
    return coupon;
  }

  private count(coupon: CouponRef, outcome: IssueOutcome): IssueOutcome {
    this.metrics.issueOutcomes.inc({ strategy: coupon.strategy, result: outcome.kind });
    return outcome;
  }
}
