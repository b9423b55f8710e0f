import { LATENCY_BOUNDS, SaleStats, latencyQuantile, mergeSaleStats } from "../../src/monitor/sale-stats";

const buckets = (counts: Record<number, number>) => LATENCY_BOUNDS.concat(Infinity).map((_, i) => counts[i] ?? 0);

describe("latencyQuantile", () => {
  it("interpolates inside the bucket holding the rank, as histogram_quantile does", () => {
    // 100 answers: 50 in (0, 1 ms], 50 in (1 ms, 2.5 ms]. The p99 is the 99th: 49/50 of the way through the second bucket.
    expect(latencyQuantile(buckets({ 0: 50, 1: 50 }), 0.99)).toBeCloseTo(0.001 + 0.0015 * (49 / 50), 9);
    expect(latencyQuantile(buckets({ 0: 50, 1: 50 }), 0.5)).toBeCloseTo(0.001, 9);
  });

  it("answers the lower bound of the unbounded last bucket, and nothing without answers", () => {
    expect(latencyQuantile(buckets({ [LATENCY_BOUNDS.length]: 3 }), 0.99)).toBe(LATENCY_BOUNDS.at(-1));
    expect(latencyQuantile(buckets({}), 0.99)).toBeUndefined();
  });
});

describe("SaleStats", () => {
  it("keeps at most its bound of coupons, dropping the one quiet longest", () => {
    const stats = new SaleStats(3);
    for (const id of [1, 2, 3]) stats.record(id, "issued", 0.001);
    stats.record(1, "soldOut", 0.001); // 1 is now the most recent
    stats.record(4, "issued", 0.001);
    expect(Object.keys(stats.snapshot()).sort()).toEqual(["1", "3", "4"]);
    expect(stats.snapshot()["1"]!.answers).toMatchObject({ issued: 1, soldOut: 1 });
  });

  it("counts answers since the start, and latency over about the last minute only", () => {
    let now = 1_000_000_000_000;
    const stats = new SaleStats(10, () => now);
    stats.record(7, "issued", 0.0005);
    now += 30_000;
    stats.record(7, "duplicate", 0.2);
    expect(stats.snapshot()["7"]!.recentLatency.reduce((a, b) => a + b)).toBe(2);
    now += 45_000; // the first answer is now more than a minute old
    const s = stats.snapshot()["7"]!;
    expect(s.answers).toMatchObject({ issued: 1, duplicate: 1 });
    expect(s.recentLatency.reduce((a, b) => a + b)).toBe(1);
    expect(latencyQuantile(s.recentLatency, 0.99)).toBeGreaterThan(0.1);
  });

  it("sums workers' snapshots per coupon", () => {
    const a = new SaleStats();
    const b = new SaleStats();
    a.record(1, "issued", 0.001);
    b.record(1, "issued", 0.001);
    b.record(2, "unavailable", 0.001);
    const merged = mergeSaleStats([a.snapshot(), b.snapshot()]);
    expect(merged["1"]!.answers.issued).toBe(2);
    expect(merged["2"]!.answers.unavailable).toBe(1);
    expect(merged["1"]!.recentLatency.reduce((x, y) => x + y)).toBe(2);
  });
});
