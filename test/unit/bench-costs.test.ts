import { costsBetween, metricSum, type CostCounters } from "../../scripts/bench/costs";

const counters = (c: Partial<CostCounters>): CostCounters => ({
  redisCommands: 0, redisRoundTrips: 0, pgStatements: 0, pgTransactions: 0, cpuSeconds: 0, checkpoints: 0, ...c,
});

describe("costsBetween", () => {
  it("divides each counter's growth by the requests", () => {
    const before = counters({ redisCommands: 100, redisRoundTrips: 50, pgStatements: 10, pgTransactions: 7, cpuSeconds: 2, checkpoints: 3 });
    const after = counters({ redisCommands: 100 + 1 + 5_000, redisRoundTrips: 1_050, pgStatements: 3_010, pgTransactions: 1_007, cpuSeconds: 2.5, checkpoints: 4 });
    const costs = costsBetween(before, after, 1_000);
    expect(costs).toEqual({
      requests: 1_000,
      totals: { redisCommands: 5_000, redisRoundTrips: 1_000, pgStatements: 3_000, pgTransactions: 1_000, cpuMs: 500 },
      perRequest: { redisCommands: 5, redisRoundTrips: 1, pgStatements: 3, pgTransactions: 1, cpuMs: 0.5 },
      checkpoints: 1,
    });
  });

  it("takes out the opening INFO, so a phase that cost Redis nothing reads 0", () => {
    expect(costsBetween(counters({ redisCommands: 40 }), counters({ redisCommands: 41 }), 500).perRequest.redisCommands).toBe(0);
  });

  it("reads 0, not NaN, for a phase with no requests", () => {
    expect(costsBetween(counters({}), counters({ redisCommands: 1 }), 0).perRequest.redisCommands).toBe(0);
  });
});

describe("metricSum", () => {
  const text = [
    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
    "# TYPE process_cpu_seconds_total counter",
    "process_cpu_seconds_total 1.25",
    "process_cpu_seconds_total_other 99",
    'coupon_issue_total{strategy="redis-set",result="SOLD_OUT"} 10',
    'coupon_issue_total{strategy="queue",result="ISSUED"} 5',
  ].join("\n");

  it("sums every sample of the metric, labelled or not, and nothing of a longer name", () => {
    expect(metricSum(text, "process_cpu_seconds_total")).toBe(1.25);
    expect(metricSum(text, "coupon_issue_total")).toBe(15);
  });

  it("reads 0 for a metric that is not there", () => {
    expect(metricSum(text, "coupon_db_statements_total")).toBe(0);
  });
});
