import { Redis } from "ioredis";
import { createCoupon, request } from "../support/http";
import { ledger, race, toldIssued } from "../support/race";
import { REDIS_URL, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** Redis losing everything mid-sale over-issues nothing, and the service rebuilds by itself. */
let env: TestEnv;
let apps: TestApp[];
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv();
  apps = [await env.startApp(), await env.startApp()];
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

/** Deletes every key of this test file, as if Redis had restarted empty. */
async function loseRedisData(): Promise<number> {
  const keys = await redis.keys(`${env.config.redisKeyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  return keys.length;
}

it.each(["redis-set", "queue", "lock"])("%s: Redis flushed repeatedly mid-sale still ends at exactly N", async (strategy) => {
  const { id } = await createCoupon(apps[0]!.url, { totalQuantity: 150, strategy });
  let flushes = 0;
  const flusher = (async () => {
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 40));
      if ((await loseRedisData()) > 0) flushes++;
    }
  })();
  const result = await race(
    apps.map((a) => a.url),
    id,
    { users: 1_000, requests: 3_000, concurrency: 200 },
  );
  await flusher;
  expect(flushes).toBeGreaterThan(0);

  const rows = await ledger(env, id);
  expect(rows.userIds.length).toBeLessThanOrEqual(150);
  expect(new Set(rows.userIds).size).toBe(rows.userIds.length);
  expect(rows.issuedCount).toBe(rows.userIds.length);
  expect([...toldIssued(result)].sort()).toEqual([...rows.userIds].sort());
  // Every row's user was told ISSUED or PENDING (docs/guarantees.md, promise 4); a queued request
  // that vanished with Redis' data has no row.
  const answered = new Set([...result.answers].filter(([, s]) => s.includes(201) || s.includes(202)).map(([u]) => u));
  for (const u of rows.userIds) expect(answered.has(u)).toBe(true);
  for (const [u, s] of result.settled) if (s === "NOT_REQUESTED") expect(rows.userIds).not.toContain(u);
  expect(result.statusCounts[500]).toBeUndefined();

  // The sale goes on after the flushes: fresh users fill it to exactly N.
  for (let u = 50_000; u < 50_400; u++) await request(`${apps[u % 2]!.url}/coupons/${id}/issue`, { body: { userId: u } });
  const final = await ledger(env, id);
  expect(final.userIds).toHaveLength(150);
  expect(final.issuedCount).toBe(150);
  // Redis was rebuilt from PostgreSQL and, once the repair it schedules for
  // itself has run, agrees with it.
  const admitted = () => redis.scard(`${env.config.redisKeyPrefix}coupon:{${id}}:issued`);
  for (let i = 0; i < 30 && (await admitted()) !== 150; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await admitted()).toBe(150);
});
