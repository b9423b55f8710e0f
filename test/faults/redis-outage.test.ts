import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, request } from "../support/http";
import { expectSaleEndsAtExactlyN, finishSale, ledger, race, timedProbes, toldIssued } from "../support/race";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * Redis restarted mid-sale with its data lost: requests during the outage get
 * a fast 503 (or, with REDIS_FALLBACK=postgres, are served exactly by the
 * postgres path); afterwards the service rebuilds Redis from PostgreSQL by
 * itself and the sale ends at exactly N.
 */
let env: TestEnv;
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
  env = await createTestEnv({ REDIS_URL: redis.url });
});
// A failed test must not leave its app running (it would keep jest alive).
const children: ChildApp[] = [];
const track = (app: ChildApp) => (children.push(app), app);
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

afterAll(async () => {
  await env?.dispose();
  await redis?.stop();
});

// The app runs in its own process, so its answer times are its own, not the test's event loop.
async function outageDuring(app: ChildApp, couponId: number) {
  const crowd = race([app.url], couponId, { users: 2_000, requests: 2_000, concurrency: 100, settle: false });
  await new Promise((r) => setTimeout(r, 100));
  await redis.stop();
  // Every request of the crowd is answered (race() waits for each, so a hang
  // fails the test). Then, Redis still down, probes time single answers: the
  // crowd is not left in flight, because on two shared cores its queue at the
  // app's event loop, not the outage, would set their times.
  const result = await crowd;
  const probes = await timedProbes(app.url, couponId);
  redis = await startRedisServer(redis.port); // back, empty
  return { result, probes };
}

it.each(["redis-set", "queue", "lock"])("%s: fast 503 during the outage, then exactly N", async (strategy) => {
  const app = track(await spawnApp(env));
  const { id } = await createCoupon(app.url, { totalQuantity: 400, strategy });
  const { result, probes } = await outageDuring(app, id);
  console.log(strategy, probes.map((p) => p.ms).join(","));
  for (const { res, ms } of probes) {
    expect(res.status).toBe(503);
    expect(res.body.code).toBe("UNAVAILABLE");
    expect(ms).toBeLessThan(1_000);
  }
  await expectSaleEndsAtExactlyN(env, app.url, id, 400, result);
  app.kill("SIGTERM");
  expect(await app.exited()).toBe(0);
});

it("REDIS_FALLBACK=postgres serves the outage exactly through PostgreSQL", async () => {
  const app = track(await spawnApp(env, { REDIS_FALLBACK: "postgres" }));
  const { id } = await createCoupon(app.url, { totalQuantity: 400, strategy: "redis-set" });
  const { result, probes } = await outageDuring(app, id);
  for (const { res } of probes) expect([201, 409]).toContain(res.status);
  expect(result.statusCounts[503]).toBeUndefined();
  // The postgres path really served the outage (the crowd may have sold out before the probes).
  const metrics = (await request(`${app.url}/metrics`)).body as string;
  expect(Number(/coupon_redis_fallback_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  await finishSale(app.url, id, 500_000);
  const rows = await ledger(env, id);
  expect(rows.userIds).toHaveLength(400);
  for (const u of toldIssued(result)) expect(rows.userIds).toContain(u);
  const probeWinners = probes.filter((p) => p.res.status === 201).map((p) => p.res.body.userId);
  for (const u of probeWinners) expect(rows.userIds).toContain(u);
  // Back on Redis, every holder is known, those the fallback issued too.
  for (const u of rows.userIds.slice(0, 50)) {
    expect((await request(`${app.url}/coupons/${id}/issue`, { body: { userId: u } })).body.code).toBe("ALREADY_ISSUED");
  }
  app.kill("SIGTERM");
  expect(await app.exited()).toBe(0);
});
