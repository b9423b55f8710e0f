import type { StrategyResult } from "../../scripts/bench/strategy-run";
import { evaluateTargets, loadTargets, type TargetSpec } from "../../scripts/bench/targets";

/** The figures a target reads, and nothing else. */
function result(strategy: StrategyResult["strategy"], soldOut: { redisCommands: number; pgStatements: number; rps: number; expressRps: number }): StrategyResult {
  const perRequest = { redisCommands: soldOut.redisCommands, redisRoundTrips: 1, pgStatements: soldOut.pgStatements, pgTransactions: 0, cpuMs: 0.2 };
  return {
    strategy,
    costs: { soldOut: { requests: 1_000, perRequest, checkpoints: 0 } },
    soldOut: { requestsPerSecond: soldOut.rps },
    adjacentExpress: { requestsPerSecond: soldOut.expressRps },
  } as unknown as StrategyResult;
}

const spec = (s: Partial<TargetSpec>): TargetSpec => ({ metric: "redisCommandsPerRequest", phase: "soldOut", strategies: ["redis-set"], why: "because", ...s });

describe("targets.json", () => {
  it("parses, and keeps the three sold-out targets for every Redis strategy and the token check's cost for redis-set", () => {
    const targets = loadTargets();
    expect(targets.map((t) => [t.metric, t.phase, t.atMost ?? t.atLeast, t.strategies])).toEqual([
      ["redisCommandsPerRequest", "soldOut", 0.01, ["redis-set", "queue", "lock"]],
      ["pgStatementsPerRequest", "soldOut", 0.001, ["redis-set", "queue", "lock"]],
      ["shareOfAdjacentExpress", "soldOut", 0.95, ["redis-set", "queue", "lock"]],
      ["shareWithJwt", "soldOut", 0.85, ["redis-set"]],
    ]);
  });

  it("refuses a misspelt metric, an unknown strategy, and a target with both or neither bound", () => {
    const base = { metric: "redisCommandsPerRequest", phase: "soldOut", strategies: ["lock"], atMost: 1, why: "x" };
    expect(() => loadTargets({ targets: [{ ...base, metric: "redisComands" }] })).toThrow();
    expect(() => loadTargets({ targets: [{ ...base, strategies: ["redis"] }] })).toThrow();
    expect(() => loadTargets({ targets: [{ ...base, atLeast: 0 }] })).toThrow(/exactly one of atMost and atLeast/);
    expect(() => loadTargets({ targets: [{ ...base, atMost: undefined }] })).toThrow(/exactly one of atMost and atLeast/);
  });
});

describe("evaluateTargets", () => {
  const today = result("redis-set", { redisCommands: 5, pgStatements: 0, rps: 6_000, expressRps: 6_500 });

  it("misses a bound the figure is above, and passes one it is within", () => {
    const [miss] = evaluateTargets([spec({ atMost: 0.01 })], [today]);
    expect(miss).toMatchObject({ strategy: "redis-set", measured: 5, bound: "≤ 0.01", pass: false, why: "because" });
    const [pass] = evaluateTargets([spec({ metric: "pgStatementsPerRequest", atMost: 0 })], [today]);
    expect(pass).toMatchObject({ measured: 0, pass: true });
  });

  it("holds sold-out throughput against the bare-Express run next to it", () => {
    const [t] = evaluateTargets([spec({ metric: "shareOfAdjacentExpress", atLeast: 0.95 })], [today]);
    expect(t!.measured).toBeCloseTo(6_000 / 6_500);
    expect(t!.pass).toBe(false);
  });

  it("holds the sold-out crowd with verified tokens against the same crowd without, and misses where it was not measured", () => {
    const withJwt = { ...today, jwt: { withJwt: { requestsPerSecond: 3_600 }, withoutJwt: { requestsPerSecond: 4_000 } } } as unknown as typeof today;
    const [t] = evaluateTargets([spec({ metric: "shareWithJwt", atLeast: 0.85 })], [withJwt]);
    expect([t!.measured, t!.pass]).toEqual([0.9, true]);
    const [unmeasured] = evaluateTargets([spec({ metric: "shareWithJwt", atLeast: 0.85 })], [today]);
    expect([unmeasured!.measured, unmeasured!.pass]).toEqual([NaN, false]);
  });

  it("skips strategies the run left out, and strategies the target does not name", () => {
    const pg = result("postgres", { redisCommands: 0, pgStatements: 1, rps: 3_000, expressRps: 6_500 });
    expect(evaluateTargets([spec({ strategies: ["redis-set", "queue"], atMost: 0.01 })], [today, pg]).map((t) => t.strategy)).toEqual(["redis-set"]);
  });
});
