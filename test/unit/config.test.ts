import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { loadConfig } from "../../src/config";

const SECRET = "s".repeat(32);
const spki = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
const rsaPem = (modulusLength: number) => spki(generateKeyPairSync("rsa", { modulusLength }).publicKey);
const ecPem = (namedCurve: string) => spki(generateKeyPairSync("ec", { namedCurve }).publicKey);
const RSA_PEM = rsaPem(2048);
const EC_PEM = ecPem("prime256v1");

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
    expect(c.adminTokens).toHaveLength(1);
    expect(c.adminTokens[0]!.length).toBeGreaterThanOrEqual(32);
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
    [{ ADMIN_TOKEN: `${"a".repeat(16)},short` }, /^Invalid configuration: ADMIN_TOKEN "short" is not a token of at least 16 characters$/],
    [{ SHOPPER_AUTH: "oauth" }, /^Invalid configuration: SHOPPER_AUTH /],
    [{ SHOPPER_AUTH: "jwt" }, /^Invalid configuration: SHOPPER_AUTH jwt needs exactly one of .* \(0 set\)$/],
    [{ SHOPPER_AUTH: "jwt", SHOPPER_JWT_SECRET: SECRET, SHOPPER_JWKS_URL: "https://id.example/jwks" }, /^Invalid configuration: SHOPPER_AUTH jwt needs exactly one of .* \(2 set\)$/],
    [{ SHOPPER_JWT_SECRET: "too-short" }, /^Invalid configuration: SHOPPER_JWT_SECRET must be at least 32 characters/],
    [{ SHOPPER_JWT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----" }, /^Invalid configuration: SHOPPER_JWT_PUBLIC_KEY is not a PEM public key$/],
    [{ SHOPPER_JWT_PUBLIC_KEY: rsaPem(1024) }, /^Invalid configuration: SHOPPER_JWT_PUBLIC_KEY must be an RSA key of at least 2048 bits/],
    [{ SHOPPER_JWT_PUBLIC_KEY: ecPem("secp384r1") }, /^Invalid configuration: SHOPPER_JWT_PUBLIC_KEY must be/],
    [{ SHOPPER_JWKS_URL: "ftp://id.example/jwks" }, /^Invalid configuration: SHOPPER_JWKS_URL must be an http\(s\):\/\/ URL$/],
    [{ RATE_LIMIT_USER: "5" }, /^Invalid configuration: RATE_LIMIT_USER must look like 5\/s/],
    [{ RATE_LIMIT_IP: "0/s" }, /^Invalid configuration: RATE_LIMIT_IP /],
    [{ RATE_LIMIT_IP: "5/day" }, /^Invalid configuration: RATE_LIMIT_IP /],
    [{ TRUST_PROXY: "10.0.0.300" }, /^Invalid configuration: TRUST_PROXY /],
    [{ TRUST_PROXY: "somewhere" }, /^Invalid configuration: TRUST_PROXY /],
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

describe("shopper identity", () => {
  it("refuses to start in production unless SHOPPER_AUTH is chosen", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/^Invalid configuration: SHOPPER_AUTH must be set \(jwt or none\) when NODE_ENV=production$/);
    expect(() => loadConfig({ NODE_ENV: "production", SHOPPER_AUTH: "" })).toThrow(/SHOPPER_AUTH must be set/);
    expect(loadConfig({ NODE_ENV: "production", SHOPPER_AUTH: "none" })).toMatchObject({ production: true, shopperAuth: "none" });
    expect(loadConfig({ NODE_ENV: "production", SHOPPER_AUTH: "jwt", SHOPPER_JWT_SECRET: SECRET })).toMatchObject({ production: true, shopperAuth: "jwt" });
  });

  it("defaults to none outside production", () => {
    expect(loadConfig({})).toMatchObject({ production: false, shopperAuth: "none", jwt: undefined, rateLimitUser: undefined, rateLimitIp: undefined, trustProxy: false });
    expect(loadConfig({ NODE_ENV: "development" }).shopperAuth).toBe("none");
  });

  it("takes one key source, with issuer and audience; empty values are unset", () => {
    const c = loadConfig({ SHOPPER_AUTH: "jwt", SHOPPER_JWT_SECRET: SECRET, SHOPPER_JWT_ISSUER: "https://id", SHOPPER_JWT_AUDIENCE: "api", SHOPPER_JWKS_URL: "" });
    expect(c.jwt).toEqual({ key: { kind: "secret", secret: SECRET }, issuer: "https://id", audience: "api" });
    expect(loadConfig({ SHOPPER_AUTH: "jwt", SHOPPER_JWKS_URL: "https://id.example/jwks" }).jwt?.key).toEqual({ kind: "jwks", url: "https://id.example/jwks" });
  });

  it("derives the algorithm from a PEM public key, also from one written on one line with \\n", () => {
    expect(loadConfig({ SHOPPER_AUTH: "jwt", SHOPPER_JWT_PUBLIC_KEY: RSA_PEM }).jwt?.key).toEqual({ kind: "public-key", pem: RSA_PEM, algorithm: "RS256" });
    const oneLine = EC_PEM.replace(/\n/g, "\\n");
    expect(loadConfig({ SHOPPER_AUTH: "jwt", SHOPPER_JWT_PUBLIC_KEY: oneLine }).jwt?.key).toEqual({ kind: "public-key", pem: EC_PEM, algorithm: "ES256" });
  });

  it("takes several admin tokens, for rotation", () => {
    const c = loadConfig({ ADMIN_TOKEN: "first-token-0123456789, second-token-0123456789" });
    expect(c).toMatchObject({ adminTokens: ["first-token-0123456789", "second-token-0123456789"], adminTokenGenerated: false });
  });

  it("parses rate limits and trust proxy", () => {
    const c = loadConfig({ RATE_LIMIT_USER: "5/s", RATE_LIMIT_IP: "100/m", TRUST_PROXY: "loopback, 10.0.0.0/8" });
    expect(c).toMatchObject({ rateLimitUser: { points: 5, seconds: 1 }, rateLimitIp: { points: 100, seconds: 60 }, trustProxy: "loopback, 10.0.0.0/8" });
    expect(loadConfig({ RATE_LIMIT_USER: "off", RATE_LIMIT_IP: "1000/h" })).toMatchObject({ rateLimitUser: undefined, rateLimitIp: { points: 1000, seconds: 3600 } });
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
  });
});
