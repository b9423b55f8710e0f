import type { CouponRepository } from "../db/coupon-repository";
import type { CouponRef } from "./types";

const MAX_ENTRIES = 100_000;
const MISS_TTL_MS = 1_000;

/**
 * The immutable facts of each coupon (strategy, sale window), kept in
 * process memory so the hot path never reads PostgreSQL for them. Unknown ids
 * are remembered briefly so a flood of bad ids cannot hammer the database.
 */
export class CouponCatalog {
  private readonly known = new Map<number, CouponRef>();
  private readonly missing = new Map<number, number>();

  constructor(private readonly repo: CouponRepository) {}

  async get(id: number): Promise<CouponRef | undefined> {
    const hit = this.known.get(id);
    if (hit) return hit;
    const missUntil = this.missing.get(id);
    if (missUntil !== undefined && missUntil > Date.now()) return undefined;
    const coupon = await this.repo.find(id);
    if (!coupon) {
      if (this.missing.size >= MAX_ENTRIES) this.missing.clear();
      this.missing.set(id, Date.now() + MISS_TTL_MS);
      return undefined;
    }
    return this.remember(coupon);
  }

  remember(coupon: CouponRef): CouponRef {
    if (this.known.size >= MAX_ENTRIES) this.known.clear();
    const ref = Object.freeze({ id: coupon.id, strategy: coupon.strategy, startsAt: coupon.startsAt, endsAt: coupon.endsAt });
    this.known.set(ref.id, ref);
    this.missing.delete(ref.id);
    return ref;
  }
}
