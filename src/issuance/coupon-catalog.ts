import type { Ledger } from "../db/ledger";
import type { CouponRef } from "./types";

const MAX_ENTRIES = 100_000;
const MISS_TTL_MS = 1_000;

/**
 * The immutable facts of each coupon incarnation (strategy, sale window, the
 * ledger tag its Redis state must carry), kept in process memory so the hot
 * path never reads PostgreSQL for them. Unknown ids are remembered briefly so
 * a flood of bad ids cannot hammer the database. An entry is forgotten when
 * Redis shows it belongs to another ledger state (a restored database).
 */
export class CouponCatalog {
  private readonly known = new Map<number, CouponRef>();
  private readonly missing = new Map<number, number>();

  constructor(private readonly ledger: Ledger) {}

  async get(id: number): Promise<CouponRef | undefined> {
    const hit = this.known.get(id);
    if (hit) return hit;
    const missUntil = this.missing.get(id);
    if (missUntil !== undefined && missUntil > Date.now()) return undefined;
    const coupon = await this.ledger.couponRef(id);
    if (!coupon) {
      if (this.missing.size >= MAX_ENTRIES) this.missing.clear();
      this.missing.set(id, Date.now() + MISS_TTL_MS);
      return undefined;
    }
    if (this.known.size >= MAX_ENTRIES) this.known.clear();
    const ref = Object.freeze({ id: coupon.id, strategy: coupon.strategy, startsAt: coupon.startsAt, endsAt: coupon.endsAt, tag: coupon.tag });
    this.known.set(id, ref);
    return ref;
  }

  /** Reads the coupon again on its next use (it was just created, or belongs to another ledger state). */
  forget(id: number): void {
    this.known.delete(id);
    this.missing.delete(id);
  }
}
