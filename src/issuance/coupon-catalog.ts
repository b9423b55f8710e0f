import type { Ledger } from "../db/ledger";
import type { CouponRef } from "./types";

const MAX_ENTRIES = 100_000;
const MISS_TTL_MS = 1_000;
/** How long an entry is trusted before it is read again (in the background; the old one serves meanwhile). */
export const CATALOG_REFRESH_MS = 5_000;

interface Entry {
  ref: CouponRef;
  readAt: number;
  refreshing?: boolean;
}

/**
 * What the hot path needs of each coupon (strategy, sale window, the ledger
 * tag its Redis state must carry), kept in process memory so requests never
 * read PostgreSQL for it. Entries are read again every few seconds in the
 * background, so a database re-created or restored under a running process
 * (new tags) is noticed within CATALOG_REFRESH_MS. Unknown ids are remembered
 * briefly so a flood of bad ids cannot hammer the database.
 */
export class CouponCatalog {
  private readonly known = new Map<number, Entry>();
  private readonly missing = new Map<number, number>();

  constructor(private readonly ledger: Ledger) {}

  async get(id: number): Promise<CouponRef | undefined> {
    const hit = this.known.get(id);
    if (hit) {
      if (!hit.refreshing && Date.now() - hit.readAt > CATALOG_REFRESH_MS) this.refresh(id, hit);
      return hit.ref;
    }
    const missUntil = this.missing.get(id);
    if (missUntil !== undefined && missUntil > Date.now()) return undefined;
    return this.read(id);
  }

  /** Reads the coupon again on its next use (it was just created, or belongs to another ledger state). */
  forget(id: number): void {
    this.known.delete(id);
    this.missing.delete(id);
  }

  private async read(id: number): Promise<CouponRef | undefined> {
    const coupon = await this.ledger.couponRef(id);
    if (!coupon) {
      this.known.delete(id);
      if (this.missing.size >= MAX_ENTRIES) this.missing.clear();
      this.missing.set(id, Date.now() + MISS_TTL_MS);
      return undefined;
    }
    if (this.known.size >= MAX_ENTRIES) this.known.clear();
    const ref = Object.freeze({ id: coupon.id, strategy: coupon.strategy, startsAt: coupon.startsAt, endsAt: coupon.endsAt, tag: coupon.tag });
    this.known.set(id, { ref, readAt: Date.now() });
    return ref;
  }

  private refresh(id: number, entry: Entry): void {
    entry.refreshing = true;
    // A failed read keeps the entry as it was for another period.
    this.read(id).catch(() => {
      entry.readAt = Date.now();
      entry.refreshing = false;
    });
  }
}
