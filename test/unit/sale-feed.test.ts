import { SaleFeed, type WatchedCoupon } from "../../src/monitor/sale-feed";
import type { SaleUpdate } from "../../src/monitor/sale-update";

const coupon = (issuedCount: number): WatchedCoupon => ({ id: 1, name: "c", strategy: "queue", status: "live", totalQuantity: 100, issuedCount });

/** Runs the feed for `counts.length` samples, one simulated second apart; returns what a subscriber got. */
async function run(counts: number[], depth = () => Promise.resolve(3)): Promise<SaleUpdate[]> {
  let sample = 0;
  let now = 1_700_000_000_000;
  const feed = new SaleFeed(
    {
      coupons: async () => [coupon(counts[Math.min(sample++, counts.length - 1)]!)],
      queueDepth: depth,
      answers: async () => ({}),
    },
    { intervalMs: 5 },
    () => (now += 1_000),
  );
  const updates: SaleUpdate[] = [];
  await new Promise<void>((resolve) => {
    const stop = feed.subscribe({
      send: (u) => {
        updates.push(JSON.parse(u) as SaleUpdate);
        if (updates.length === counts.length) {
          stop();
          resolve();
        }
      },
      end: () => undefined,
    });
  });
  feed.close();
  return updates;
}

it("turns rows counted once a second into a per-second issue rate", async () => {
  const updates = await run([0, 10, 30, 30, 31]);
  const last = updates.at(-1)!.coupons[0]!;
  expect(last.rate.perSecond).toEqual([10, 20, 0, 1]);
  expect(last).toMatchObject({ issued: 31, remaining: 69, queueDepth: 3, p99Ms: null });
});

it("says what it could not read, and keeps the numbers it has", async () => {
  const updates = await run([5, 6], () => Promise.reject(new Error("Redis down")));
  expect(updates.at(-1)!.problems).toEqual(["queue depth could not be read from Redis"]);
  expect(updates.at(-1)!.coupons[0]).toMatchObject({ issued: 6, queueDepth: null });
});

it("ends its streams when it closes, and ends late subscribers at once", () => {
  const feed = new SaleFeed({ coupons: async () => [], queueDepth: async () => 0, answers: async () => ({}) }, { intervalMs: 1_000 });
  const ended: string[] = [];
  feed.subscribe({ send: () => undefined, end: () => ended.push("first") });
  feed.close();
  feed.subscribe({ send: () => undefined, end: () => ended.push("late") });
  expect(ended).toEqual(["first", "late"]);
});
