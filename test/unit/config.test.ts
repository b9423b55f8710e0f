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
    });
    expect(c.adminTokens).toHaveLength(1);
    expect(c.adminTokens[0]!.length).toBeGreaterThanOrEqual(32);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("parses node lists", () => {
    const c = loadConfig({ REDIS_CLUSTER_NODES: "127.0.0.1:7000, 127.0.0.1:7001", REDLOCK_NODES: "redis://a:1,redis://b:2" });
    expect(c.redisClusterNodes).toEqual(["127.0.0.1:7000", "127.0.0.1:7001"]);
    expect(c.redlockNodes).toEqual(["redis://a:1", "redis://b:2"]);
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
  ])("fails with one line naming the variable: %p", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
