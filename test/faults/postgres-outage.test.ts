import { Redis } from "ioredis";
import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon } from "../support/http";
import { expectSaleEndsAtExactlyN, race, timedProbes } from "../support/race";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { REDIS_URL, createTestEnv, type TestEnv } from "../support/test-env";

/**
 * PostgreSQL unreachable mid-sale (cut off behind a proxy the test controls):
 * fast 503s, no Redis drift left behind, exactly N after it returns.
 */
let env: TestEnv;
let proxy: TcpProxy;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv();
  proxy = await startTcpProxy(Number(new URL(env.config.databaseUrl).port || 5432));
  redis = new Redis(REDIS_URL);
});
// A failed test must not leave its app running (it would keep jest alive).
const children: ChildApp[] = [];
const track = (app: ChildApp) => (children.push(app), app);
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

afterAll(async () => {
  redis?.disconnect();
  await proxy?.close();
  await env?.dispose();
});

it.each(["redis-set", "queue", "lock", "postgres"])("%s: PostgreSQL cut off mid-sale", async (strategy) => {
  const url = new URL(env.config.databaseUrl);
  url.port = String(proxy.port);
  // The app runs in its own process, so its answer times are its own.
  const app = track(await spawnApp(env, { DATABASE_URL: url.toString() }));
  const { id } = await createCoupon(app.url, { totalQuantity: 300, strategy });
  const crowd = race([app.url], id, { users: 2_000, requests: 2_000, concurrency: 100, settle: false });
  await new Promise((r) => setTimeout(r, 100));
  await proxy.cut();
  const probes = await timedProbes(app.url, id);
  await new Promise((r) => setTimeout(r, 500)).finally(() => proxy.restore());
  const result = await crowd;

  // Answers during the outage are fast: a decision from Redis (409, or 202
  // for the queue, which persists later) or 503 UNAVAILABLE. Never a hang.
  for (const { res, ms } of probes) {
    expect([202, 409, 503]).toContain(res.status);
    if (res.status === 503) expect(res.body.code).toBe("UNAVAILABLE");
    expect(ms).toBeLessThan(1_500);
  }
  expect(result.statusCounts[500]).toBeUndefined();

  await expectSaleEndsAtExactlyN(env, app.url, id, 300, result);
  if (strategy !== "postgres") {
    // No drift left behind: once the repairs the service schedules for itself
    // have run, Redis admits exactly the ledger's holders.
    const admitted = () => redis.scard(`${env.config.redisKeyPrefix}coupon:{${id}}:issued`);
    for (let i = 0; i < 30 && (await admitted()) !== 300; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await admitted()).toBe(300);
  }
  app.kill("SIGTERM");
  expect(await app.exited()).toBe(0);
});
