import { Redis } from "ioredis";
import { Client } from "pg";
import { spawnApp, type ChildApp } from "../support/child-app";
import { createCoupon, inFlight, request } from "../support/http";
import { ledger, race } from "../support/race";
import { REDIS_URL, createTestEnv, type TestEnv } from "../support/test-env";

/** The queue strategy's own promises (issue 3), beyond the conformance suite. */
let env: TestEnv;
let redis: Redis;
const children: ChildApp[] = [];

beforeAll(async () => {
  env = await createTestEnv({ QUEUE_VISIBILITY_TIMEOUT_MS: "1000" });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  redis?.disconnect();
  await env?.dispose();
});

const key = (couponId: number, suffix: string) => `${env.config.redisKeyPrefix}coupon:{${couponId}}:${suffix}`;

/** Holds the coupon row's lock, so every worker's batch blocks mid-transaction until release. */
async function holdCouponRow(couponId: number) {
  const client = new Client({ connectionString: env.config.databaseUrl });
  await client.connect();
  await client.query("BEGIN");
  await client.query(`SELECT 1 FROM "Coupon" WHERE id = $1 FOR UPDATE`, [couponId]);
  return async () => {
    await client.query("COMMIT");
    await client.end();
  };
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const issue = (url: string, couponId: number, userId: number, headers: Record<string, string> = {}) =>
  request(`${url}/coupons/${couponId}/issue`, { body: { userId }, headers });

it("a worker SIGKILLed mid-batch loses nothing and duplicates nothing", async () => {
  const a = await spawnApp(env, { QUEUE_VISIBILITY_TIMEOUT_MS: "1000" });
  children.push(a);
  const { id } = await createCoupon(a.url, { totalQuantity: 100, strategy: "queue" });
  const release = await holdCouponRow(id);
  const result = await race([a.url], id, { users: 300, requests: 600, concurrency: 100, settle: false });
  expect(result.statusCounts[202]).toBeGreaterThanOrEqual(100);
  await until("a batch in a processing list", async () => (await redis.keys(key(id, "processing:*"))).length > 0);
  a.kill("SIGKILL");
  await a.exited();
  await release();

  // Another process recovers the dead worker's batch after the visibility timeout.
  const b = await env.startApp({ QUEUE_VISIBILITY_TIMEOUT_MS: "1000" });
  await until("all 100 rows", async () => (await ledger(env, id)).userIds.length === 100);
  await until("processing lists drained", async () => (await redis.keys(key(id, "processing:*"))).length === 0);
  const rows = await ledger(env, id);
  expect(new Set(rows.userIds).size).toBe(100);
  expect(rows.issuedCount).toBe(100);
  const admitted = [...result.answers].filter(([, s]) => s.includes(202)).map(([u]) => u);
  expect(admitted.sort()).toEqual([...rows.userIds].sort());
  for (const u of admitted) {
    expect((await request(`${b.url}/coupons/${id}/issuances/${u}`)).body.status).toBe("ISSUED");
  }
  await b.stop();
});

it("two processes draining one coupon issue exactly N, FIFO within each process", async () => {
  const apps = [await env.startApp({ QUEUE_BATCH_SIZE: "7" }), await env.startApp({ QUEUE_BATCH_SIZE: "7" })];
  const { id } = await createCoupon(apps[0]!.url, { totalQuantity: 200, strategy: "queue" });
  // Queue up everyone in a known order while the workers are held back...
  const release = await holdCouponRow(id);
  for (let u = 1; u <= 250; u++) await issue(apps[u % 2]!.url, id, u);
  expect(await redis.llen(key(id, "queue"))).toBeLessThanOrEqual(200);
  await release();
  await until("200 rows", async () => (await ledger(env, id)).userIds.length === 200);
  const rows = await env.sql<{ userId: string }>(`SELECT "userId"::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1 ORDER BY id`, [id]);
  const ranks = rows.map((r) => Number(r.userId));
  // ...the first 200 admitted are the 200 issued, and by Dilworth the row
  // order splits into at most two increasing runs (one per worker) exactly
  // when it has no decreasing subsequence longer than two.
  expect([...ranks].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(longestDecreasing(ranks)).toBeLessThanOrEqual(2);
  await Promise.all(apps.map((a) => a.stop()));
});

it("Prefer: wait answers the final outcome; a short wait answers 202", async () => {
  const app = await env.startApp();
  const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy: "queue" });
  const waited = await issue(app.url, id, 1, { prefer: "wait=5" });
  expect(waited.status).toBe(201);
  expect(waited.body.status).toBe("ISSUED");
  expect(waited.headers.get("preference-applied")).toBe("wait=5");

  const release = await holdCouponRow(id);
  const started = Date.now();
  const short = await issue(app.url, id, 2, { prefer: "wait=1" });
  expect(short.status).toBe(202);
  expect(short.headers.get("location")).toBe(`/coupons/${id}/issuances/2`);
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  expect((await request(`${app.url}${short.headers.get("location")}`)).body.status).toBe("PENDING");
  // Asking again while queued: still pending, and waiting works for it too.
  const again = issue(app.url, id, 2, { prefer: "wait=5" });
  await new Promise((r) => setTimeout(r, 200));
  await release();
  expect((await again).status).toBe(201);
  expect((await issue(app.url, id, 2)).body.code).toBe("ALREADY_ISSUED");
  await app.stop();
});

it("many waiters resolve together from one subscription", async () => {
  const app = await env.startApp();
  const { id } = await createCoupon(app.url, { totalQuantity: 300, strategy: "queue" });
  const answers = await inFlight(
    Array.from({ length: 300 }, (_, i) => () => issue(app.url, id, i + 1, { prefer: "wait=10" })),
    150,
  );
  expect(answers.map((a) => a.status).filter((s) => s !== 201)).toEqual([]);
  expect((await ledger(env, id)).userIds).toHaveLength(300);
  await app.stop();
});

it("a row PostgreSQL refuses ends REJECTED with a reason, never silently dropped", async () => {
  const app = await env.startApp();
  const { id } = await createCoupon(app.url, { totalQuantity: 2, strategy: "queue" });
  await issue(app.url, id, 1, { prefer: "wait=5" });
  // Drift: Redis believes in a larger limit than the ledger holds.
  await redis.hset(key(id, "meta"), "limit", "5");
  const refused = await issue(app.url, id, 2, { prefer: "wait=5" });
  expect(refused.status).toBe(201);
  const rejected = await issue(app.url, id, 3, { prefer: "wait=5" });
  expect(rejected.status).toBe(409);
  expect(rejected.body.code).toBe("SOLD_OUT");
  const status = await request(`${app.url}/coupons/${id}/issuances/3`);
  expect(status.body).toEqual({ couponId: id, userId: "3", status: "REJECTED", reason: "LIMIT_REACHED" });
  expect((await ledger(env, id)).userIds.sort()).toEqual(["1", "2"]);
  // The refusal made the service repair Redis from PostgreSQL by itself.
  await until("repaired limit", async () => (await redis.hget(key(id, "meta"), "limit")) === "2");
  await app.stop();
});

it("unparseable entries go to the dead-letter list and are counted; the rest are issued", async () => {
  const app = await env.startApp();
  const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy: "queue" });
  const release = await holdCouponRow(id);
  await issue(app.url, id, 1);
  await redis.rpush(key(id, "queue"), "garbage");
  await issue(app.url, id, 2);
  await release();
  await until("dead letter", async () => (await redis.llen(key(id, "dead"))) === 1);
  await until("two rows", async () => (await ledger(env, id)).userIds.length === 2);
  expect(await redis.lrange(key(id, "dead"), 0, -1)).toEqual(["garbage"]);
  expect((await request(`${app.url}/metrics`)).body).toMatch(/coupon_queue_dead_letters_total 1/);
  await app.stop();
});

function longestDecreasing(xs: number[]): number {
  const tails: number[] = [];
  for (const x of xs.map((v) => -v)) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tails[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = x;
  }
  return tails.length;
}
