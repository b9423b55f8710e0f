import { loadConfig } from "../../src/config";

describe("loadConfig", () => {
  it("applies the documented defaults and makes a random admin token", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      databaseUrl: "postgresql://postgres@127.0.0.1:5432/coupons",
      redisUrl: "redis://127.0.0.1:6379",
      redisClusterNodes: undefined,
      redlockNodes: undefined,
      workers: 1,
      adminTokenGenerated: true,
      soldOutMemoryTtlMs: 2_000,
      couponEventsStaleMs: 1_000,
      redisEventsUrl: undefined,
    });
    expect(c.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("parses node lists", () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: "127.0.0.1:7000, 127.0.0.1:7001", REDLOCK_NODES: "redis://a:1,redis://b:2" });
    expect(c.redisClusterNodes).toEqual(["127.0.0.1:7000", "127.0.0.1:7001"]);
    expect(c.redlockNodes).toEqual(["redis://a:1", "redis://b:2"]);
  });

  it("reads TRUST_PROXY as express takes it, and the dashboard login's lifetime", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({}).dashboardSessionMs).toBe(8 * 3_600_000);
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).toBe("loopback, 10.0.0.0/8");
    expect(loadConfig({ DASHBOARD_SESSION_HOURS: "0.5" }).dashboardSessionMs).toBe(1_800_000);
  });

  it.each([
    [{ PORT: "http" }, /^Invalid configuration: PORT /],
    [{ WORKERS: "0" }, /^Invalid configuration: WORKERS /],
    [{ DATABASE_URL: "mysql://x" }, /^Invalid configuration: DATABASE_URL /],
    [{ REDIS_URL: "localhost" }, /^Invalid configuration: REDIS_URL /],
    [{ REDIS_CLUSTER_NODES: "nohost" }, /^Invalid configuration: REDIS_CLUSTER_NODES /],
    [{ ADMIN_TOKEN: "short" }, /^Invalid configuration: ADMIN_TOKEN /],
    [{ REDIS_FALLBACK: "mysql" }, /^Invalid configuration: REDIS_FALLBACK /],
    [{ REDIS_COMMAND_TIMEOUT_MS: "0" }, /^Invalid configuration: REDIS_COMMAND_TIMEOUT_MS /],
    [{ SOLD_OUT_MEMORY_TTL_MS: "-1" }, /^Invalid configuration: SOLD_OUT_MEMORY_TTL_MS /],
    [{ COUPON_EVENTS_STALE_MS: "5" }, /^Invalid configuration: COUPON_EVENTS_STALE_MS /],
    [{ REDIS_EVENTS_URL: "replica:6379" }, /^Invalid configuration: REDIS_EVENTS_URL /],
    [{ TRUST_PROXY: "yes please" }, /^Invalid configuration: TRUST_PROXY /],
    [{ DASHBOARD_SESSION_HOURS: "25" }, /^Invalid configuration: DASHBOARD_SESSION_HOURS /],
  ])("fails with one line naming the variable: %p", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("refuses test-only knobs when NODE_ENV=production, and only then", () => {
    expect(() => loadConfig({ NODE_ENV: "production", TEST_LOCK_FAULT_PAUSE_MS: "100" })).toThrow(
      /^Invalid configuration: TEST_LOCK_FAULT_PAUSE_MS is for tests only/,
    );
    expect(() => loadConfig({ NODE_ENV: "production", TEST_BENCH_NOOP_ROUTE: "true" })).toThrow(/TEST_BENCH_NOOP_ROUTE/);
    expect(loadConfig({ TEST_LOCK_FAULT_PAUSE_MS: "100" }).lockFaultPauseMs).toBe(100);
  });
});
