import type { Coupon } from "../db/coupon-repository";
import type { CouponStore } from "../coupon-store/coupon-store";

/** How often a copy Redis did not take is tried again. */
export const SALE_COPY_RETRY_MS = 250;

/**
 * Copies a coupon's sale (state and window) from PostgreSQL to its Redis
 * meta hash, where every admission script checks it. A copy Redis does not
 * take (down, or too slow to answer) is tried again every
 * SALE_COPY_RETRY_MS, always with PostgreSQL's newest sale, until it lands;
 * meanwhile the change already holds wherever PostgreSQL decides (the
 * postgres strategy, and the fallback while Redis is down). Copies are
 * versioned, so a late or repeated one never undoes a newer change.
 */
export class SaleCopies {
  private readonly pending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CouponStore,
    /** PostgreSQL's coupon now, or undefined if it is gone. */
    private readonly read: (couponId: number) => Promise<Coupon | undefined>,
  ) {}

  /** Resolves true once Redis holds the copy; false if it is left to the retries. */
  async copy(coupon: Coupon): Promise<boolean> {
    if (await this.tryCopy(coupon)) return true;
    this.pending.add(coupon.id);
    this.timer ??= setInterval(() => void this.retry(), SALE_COPY_RETRY_MS).unref();
    return false;
  }

  /** Coupons whose newest sale Redis has not taken yet. */
  get waiting(): number {
    return this.pending.size;
  }

  private tryCopy(coupon: Coupon): Promise<boolean> {
    return this.store.setSale(coupon.id, coupon.sale).then(
      () => true,
      () => false,
    );
  }

  private async retry(): Promise<void> {
    for (const id of this.pending) {
      const coupon = await this.read(id).catch(() => null);
      if (coupon === null) return; // PostgreSQL is away too: next tick.
      if (coupon && !(await this.tryCopy(coupon))) return; // Redis still away: next tick.
      this.pending.delete(id);
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
