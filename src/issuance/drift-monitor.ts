import type { Ledger, LedgerCoupon } from "../db/ledger";
import type { Logger } from "../logger";
import type { CouponStore } from "../coupon-store/coupon-store";
import type { StrategyName } from "./strategy-names";

export interface DriftReading {
  readonly couponId: number;
  readonly strategy: StrategyName;
  /** Admitted in Redis − rows in PostgreSQL − queued − held: 0 when the two stores agree. */
  readonly drift: number;
}

export interface DriftMonitorOptions {
  /** The strategies that keep admission state in Redis: only their coupons can drift. */
  readonly strategies: readonly StrategyName[];
  /** Pause between two passes (a pass never overlaps the next). */
  readonly intervalMs: number;
  /** Live coupons measured per pass, newest first. */
  readonly maxCoupons: number;
}

export interface DriftMonitorEvents {
  /** One pass's readings: every live coupon measured, and only those. */
  measured(readings: readonly DriftReading[]): void;
  /** A coupon (or the list of live coupons) could not be read. */
  failed(count: number): void;
}

/** A coupon reading non-zero is read again this many times, this far apart, before the reading stands. */
const READINGS = 3;
const SETTLE_MS = 200;

/**
 * Measures, in the background, how far each live coupon's Redis state is
 * from the ledger. Every shopper Redis admitted is, once settled, either a
 * row or still waiting for one (queued, or holding a place), so
 *
 *   drift = |admitted set| − rows − |pending hash| − |holds|
 *
 * is 0 for every strategy that keeps state in Redis. Positive: Redis counts
 * places no row or waiting shopper explains (it would answer SOLD_OUT
 * early). Negative: rows Redis does not know of (it would admit more than
 * PostgreSQL takes, which PostgreSQL then refuses).
 *
 * The two stores cannot be read at one instant, so a write in flight (a
 * row committed whose hold or queue entry is not yet cleared) moves one
 * reading by a little; a coupon reading non-zero is read again, and the
 * reading closest to 0 stands. A real drift persists through all of them.
 *
 * Passes run one after another on a timer and set the gauge when done, so
 * a scrape of /metrics never waits for Redis or PostgreSQL; each pass is
 * bounded (at most `maxCoupons`, each read bounded by the clients' own
 * timeouts).
 */
export class DriftMonitor {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ledger: Ledger,
    private readonly store: CouponStore,
    private readonly logger: Logger,
    private readonly events: DriftMonitorEvents,
    private readonly options: DriftMonitorOptions,
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  /** One pass over the live coupons. */
  private async measureAll(): Promise<readonly DriftReading[]> {
    let coupons: LedgerCoupon[];
    try {
      coupons = await this.ledger.liveCoupons(this.options.strategies, this.options.maxCoupons);
    } catch (err) {
      this.fail(1, err);
      return [];
    }
    const readings: DriftReading[] = [];
    let failures = 0;
    let firstError: unknown;
    for (const coupon of coupons) {
      if (this.closed) break;
      try {
        const drift = await this.settledDrift(coupon);
        if (drift !== undefined) readings.push({ couponId: coupon.id, strategy: coupon.strategy, drift });
      } catch (err) {
        failures++;
        firstError ??= err;
      }
    }
    if (failures) this.fail(failures, firstError);
    return readings;
  }

  /** The reading closest to 0 among a few; undefined while Redis holds no state of this ledger for it. */
  private async settledDrift(coupon: LedgerCoupon): Promise<number | undefined> {
    let best: number | undefined;
    for (let i = 0; i < READINGS; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, SETTLE_MS));
      const drift = await this.drift(coupon);
      if (drift === undefined || drift === 0) return drift;
      if (best === undefined || Math.abs(drift) < Math.abs(best)) best = drift;
    }
    return best;
  }

  /** Redis first (one MULTI), then the rows: the two reads a few milliseconds apart. */
  private async drift(coupon: LedgerCoupon): Promise<number | undefined> {
    const redis = await this.store.snapshot(coupon);
    if (!redis.loaded) return undefined;
    const rows = await this.ledger.rowCount(coupon.id);
    return redis.admitted - rows - redis.queued - redis.held;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => (this.pass = this.runPass()), delayMs);
    this.timer.unref();
  }

  private async runPass(): Promise<void> {
    const readings = await this.measureAll();
    if (this.closed) return;
    this.events.measured(readings);
    this.schedule(this.options.intervalMs);
  }

  private fail(count: number, err: unknown): void {
    this.events.failed(count);
    // An UNAVAILABLE says only that a store failed; its cause says how.
    const cause = (err as Error | undefined)?.cause;
    this.logger.warn(
      { failures: count, err: (err as Error | undefined)?.message, cause: cause instanceof Error ? cause.message : undefined },
      "drift check could not read every live coupon",
    );
  }
}
