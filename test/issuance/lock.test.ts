import { Redis } from "ioredis";
import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, request } from "../support/http";
import { ledger, race, toldIssued } from "../support/race";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { REDIS_URL, createTestEnv, type TestEnv } from "../support/test-env";

/** The lock strategy's own promises (issue 4), beyond the conformance suite. */
let env: TestEnv;
let redis: Redis;
const children: ChildApp[] = [];
const servers: RedisServer[] = [];

beforeAll(async () => {
  env = await createTestEnv();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(servers.map((s) => s.stop()));
  redis?.disconnect();
  await env?.dispose();
});

const issue = (url: string, couponId: number, userId: number) =>
  request(`${url}/coupons/${couponId}/issue`, { body: { userId } });

async function until(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

it("a holder paused past its lease cannot write: the fence refuses it and its shopper is not told ISSUED", async () => {
  const paused = await spawnApp(env, { LOCK_LEASE_MS: "300", TEST_LOCK_FAULT_PAUSE_MS: "1500" });
  const healthy = await spawnApp(env, { LOCK_LEASE_MS: "300" });
  children.push(paused, healthy);
  const { id } = await createCoupon(healthy.url, { totalQuantity: 10, strategy: "lock" });
  await issue(healthy.url, id, 999); // loads the coupon into Redis

  const slow = issue(paused.url, id, 1);
  const lockKey = `${env.config.redisKeyPrefix}lock:{coupon:${id}}`;
  await until("the paused process to hold the lock", async () => (await redis.exists(lockKey)) === 1);
  // Stop it inside its critical section (a 1.5 s pause, its watchdog keeping
  // the lease), not between Redis granting the lock and it reading that
  // answer: stopped there, it would find the lease gone on waking and take a
  // fresh lock, with a newer token, after the healthy process.
  await new Promise((r) => setTimeout(r, 300));
  expect(await redis.exists(lockKey)).toBe(1);
  paused.kill("SIGSTOP");
  await until("its lease to run out", async () => (await redis.exists(lockKey)) === 0, 3_000);

  const fast = await issue(healthy.url, id, 2);
  expect(fast.status).toBe(201);
  paused.kill("SIGCONT");
  const late = await slow;

  expect(late.status).toBe(503);
  expect(late.body.code).toBe("BUSY");
  const rows = await ledger(env, id);
  expect(rows.userIds.sort()).toEqual(["2", "999"]);
  expect(rows.issuedCount).toBe(2);
  // The shopper simply tries again, under a newer token.
  expect((await issue(paused.url, id, 1)).status).toBe(201);
});

it("answers 503 BUSY with Retry-After when the lock cannot be had in time, writing nothing", async () => {
  const app = await env.startApp({ LOCK_WAIT_MS: "100" });
  const { id } = await createCoupon(app.url, { totalQuantity: 10, strategy: "lock" });
  await issue(app.url, id, 1);
  await redis.set(`${env.config.redisKeyPrefix}lock:{coupon:${id}}`, "someone-else", "PX", 2_000);
  const started = Date.now();
  const res = await issue(app.url, id, 2);
  expect(res.status).toBe(503);
  expect(res.body.code).toBe("BUSY");
  expect(res.headers.get("retry-after")).toBe("1");
  expect(Date.now() - started).toBeLessThan(1_000);
  // Duplicates and sold-out answers do not wait for the lock.
  expect((await issue(app.url, id, 1)).body.code).toBe("ALREADY_ISSUED");
  expect((await ledger(env, id)).userIds).toEqual(["1"]);
  await app.stop();
});

it("Redlock mode: exactly N across three independent nodes, with one of them down", async () => {
  servers.push(await startRedisServer(), await startRedisServer(), await startRedisServer());
  const nodes = servers.map((s) => s.url).join(",");
  const apps = [await env.startApp({ REDLOCK_NODES: nodes }), await env.startApp({ REDLOCK_NODES: nodes })];
  const { id } = await createCoupon(apps[0]!.url, { totalQuantity: 100, strategy: "lock" });
  const crowd = { users: 1_000, requests: 3_000, concurrency: 200 };
  let result = await race(apps.map((a) => a.url), id, crowd);
  let rows = await ledger(env, id);
  expect(rows.userIds).toHaveLength(100);
  expect([...toldIssued(result)].sort()).toEqual([...rows.userIds].sort());

  await servers[0]!.stop();
  const second = await createCoupon(apps[0]!.url, { totalQuantity: 100, strategy: "lock" });
  result = await race(apps.map((a) => a.url), second.id, crowd);
  rows = await ledger(env, second.id);
  expect(rows.userIds).toHaveLength(100);
  expect([...toldIssued(result)].sort()).toEqual([...rows.userIds].sort());
  expect(result.statusCounts[500]).toBeUndefined();
  await Promise.all(apps.map((a) => a.stop()));
});
