import { LRUCache } from "lru-cache";
import type { Ledger, LedgerCoupon } from "../db/ledger";
import { busy } from "../errors";
import { BatcherFullError, KeyedBatcher } from "./batcher";
import type { CouponRef } from "./types";

/** Coupons kept in memory, and unknown ids remembered, at most each (least recently used go first). */
export const CATALOG_MAX_ENTRIES = 100_000;
const MISS_TTL_MS = 1_000;
/** How long an entry is trusted before it is read again (in the background; the old one serves meanwhile). */
export const CATALOG_REFRESH_MS = 5_000;
/** Reads of many coupons go in one statement (a thousand sales starting at once, or due for a refresh). */
const READS = "coupons";
const MAX_IDS_PER_READ = 1_000;
const MAX_WAITING_READS = 50_000;

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
 * briefly so a flood of bad ids cannot hammer the database. Both are LRU
 * caches of at most `maxEntries`, so however many coupons a process has
 * served, its memory stays bounded; an evicted coupon is simply read again.
 * Reads that are due at the same time share one statement.
 */
export class CouponCatalog {
  private readonly known: LRUCache<number, Entry>;
  private readonly missing: LRUCache<number, true>;
  private readonly reads: KeyedBatcher<typeof READS, number, LedgerCoupon | undefined>;

  constructor(ledger: Pick<Ledger, "couponRefs">, maxEntries = CATALOG_MAX_ENTRIES) {
    this.known = new LRUCache({ max: maxEntries });
    this.missing = new LRUCache({ max: maxEntries, ttl: MISS_TTL_MS });
    this.reads = new KeyedBatcher(
      async (_reads, ids) => {
        const found = new Map((await ledger.couponRefs([...new Set(ids)])).map((c) => [c.id, c]));
        return ids.map((id) => found.get(id));
      },
      { maxBatch: MAX_IDS_PER_READ, maxQueued: MAX_WAITING_READS },
    );
  }

  async get(id: number): Promise<CouponRef | undefined> {
    const hit = this.known.get(id);
    if (hit) {
      if (!hit.refreshing && Date.now() - hit.readAt > CATALOG_REFRESH_MS) this.refresh(id, hit);
      return hit.ref;
    }
    if (this.missing.has(id)) return undefined;
    return this.read(id);
  }

  /** Reads the coupon again on its next use (it was just created, or belongs to another ledger state). */
  forget(id: number): void {
    this.known.delete(id);
    this.missing.delete(id);
  }

  /** Coupons and unknown ids held now. */
  get size(): { known: number; missing: number } {
    return { known: this.known.size, missing: this.missing.size };
  }

  private async read(id: number): Promise<CouponRef | undefined> {
    const coupon = await this.reads.add(READS, id).catch((err: unknown) => {
      throw err instanceof BatcherFullError ? busy(err) : err;
    });
    if (!coupon) {
      this.known.delete(id);
      this.missing.set(id, true);
      return undefined;
    }
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
