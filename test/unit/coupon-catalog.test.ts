import type { LedgerCoupon } from "../../src/db/ledger";
import { CouponCatalog } from "../../src/issuance/coupon-catalog";

/** A ledger of coupons 1..existing that counts its reads (ids asked, per statement). */
function fakeLedger(existing: number) {
  const reads: number[][] = [];
  return {
    reads,
    async couponRefs(ids: readonly number[]): Promise<LedgerCoupon[]> {
      reads.push([...ids]);
      return ids
        .filter((id) => id <= existing)
        .map((id) => ({ id, strategy: "redis-set", startsAt: null, endsAt: null, totalQuantity: 100, saleState: "open", saleVersion: 1, tag: "t" }));
    },
  };
}

describe("CouponCatalog", () => {
  it("keeps at most maxEntries coupons, dropping the least recently used, and reads a dropped one again", async () => {
    const ledger = fakeLedger(1_000);
    const catalog = new CouponCatalog(ledger, 3);
    for (const id of [1, 2, 3]) await catalog.get(id);
    await catalog.get(1); // 1 is now the most recently used: 2 goes first
    await catalog.get(4);
    expect(catalog.size.known).toBe(3);
    const readsBefore = ledger.reads.flat().length;
    await catalog.get(1);
    await catalog.get(3);
    await catalog.get(4);
    expect(ledger.reads.flat().length).toBe(readsBefore); // all three still held
    expect((await catalog.get(2))?.id).toBe(2); // read again
    expect(ledger.reads.flat().length).toBe(readsBefore + 1);

    for (let id = 5; id <= 1_000; id++) await catalog.get(id);
    expect(catalog.size.known).toBe(3);
  });

  it("remembers at most maxEntries unknown ids too", async () => {
    const catalog = new CouponCatalog(fakeLedger(0), 5);
    for (let id = 1; id <= 500; id++) expect(await catalog.get(id)).toBeUndefined();
    expect(catalog.size).toEqual({ known: 0, missing: 5 });
  });

  it("reads coupons asked for at the same time in one statement, each id once", async () => {
    const ledger = fakeLedger(1_000);
    const catalog = new CouponCatalog(ledger, 100);
    const refs = await Promise.all([...Array.from({ length: 50 }, (_, i) => i + 1), 1, 2, 2_000].map((id) => catalog.get(id)));
    expect(refs.map((r) => r?.id)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 1, 2, undefined]);
    expect(ledger.reads).toHaveLength(1);
    expect(ledger.reads[0]).toHaveLength(51);
  });
});
