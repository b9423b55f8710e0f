import { couponKeys } from "../../src/coupon-store/keys";
import { createCoupon, inFlight, request } from "../support/http";
import { parseSamples } from "../support/metrics-text";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * coupon_redis_drift (admitted in Redis − rows − queued − held, per live
 * coupon) reads 0 once a healthy sale has settled, for every strategy that
 * keeps state in Redis, and moves as soon as either store is changed behind
 * the service's back.
 */
let env: TestEnv;
let app: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp({ DRIFT_CHECK_INTERVAL_MS: "100" });
});
afterAll(() => env?.dispose());

const LIMIT = 30;
const SHOPPERS = 60;

/** The coupon's drift series as /metrics has it now, or undefined if there is none. */
async function drift(couponId: number): Promise<number | undefined> {
  const text = (await request<string>(`${app.url}/metrics`)).body;
  return parseSamples(text).find((s) => s.name === "coupon_redis_drift" && s.labels.coupon_id === String(couponId))?.value;
}

/** Polls until the series reads `expected` (a number, or undefined for no series); returns the last reading. */
async function driftBecomes(couponId: number, expected: number | undefined, timeoutMs = 8_000): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let seen = await drift(couponId);
  while (seen !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await drift(couponId);
  }
  return seen;
}

/** Sells the coupon out to a crowd (with repeat askers), then waits until every shopper's answer is final. */
async function sellOut(couponId: number): Promise<void> {
  const shoppers = Array.from({ length: SHOPPERS }, (_, i) => i + 1);
  const asks = [...shoppers, ...shoppers.slice(0, 20)].map((userId) => () => request(`${app.url}/coupons/${couponId}/issue`, { body: { userId } }));
  const replies = await inFlight(asks, 50);
  expect(replies.every((r) => [201, 202, 409].includes(r.status))).toBe(true);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const statuses = await Promise.all(shoppers.map((u) => request(`${app.url}/coupons/${couponId}/issuances/${u}`)));
    if (!statuses.some((s) => s.body.status === "PENDING") || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [{ rows }] = await env.sql<{ rows: number }>(`SELECT count(*)::int AS rows FROM "UserCoupon" WHERE "couponId" = $1`, [couponId]);
  expect(rows).toBe(LIMIT);
}

/** After a settled sale, several passes in a row all read 0. */
async function expectSettledAtZero(couponId: number): Promise<void> {
  expect(await driftBecomes(couponId, 0)).toBe(0);
  const later: (number | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 150));
    later.push(await drift(couponId));
  }
  expect(later).toEqual([0, 0, 0, 0, 0]);
}

const redis = () => app.running.services.redis;

it("redis-set: a settled sale reads 0, a held place is no drift, a row deleted behind the service's back reads +1", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: LIMIT, strategy: "redis-set" });
  await sellOut(id);
  await expectSettledAtZero(id);

  // A shopper holding a place whose row is still to come (settle-by a minute away) is waiting, not drift.
  const k = couponKeys(id);
  expect(await redis().holdPlaces(k.issued, k.holds, 60_000, 1, "555555")).toBe(1);
  await expectSettledAtZero(id);
  await redis().zrem(k.holds, "555555");
  expect(await driftBecomes(id, 1)).toBe(1);
  await redis().srem(k.issued, "555555");
  expect(await driftBecomes(id, 0)).toBe(0);

  await env.sql(`DELETE FROM "UserCoupon" WHERE "couponId" = $1 AND "userId" = (SELECT min("userId") FROM "UserCoupon" WHERE "couponId" = $1)`, [id]);
  expect(await driftBecomes(id, 1)).toBe(1);
});

it("queue: a settled sale reads 0; a member added to Redis behind the service's back reads +1", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: LIMIT, strategy: "queue" });
  await sellOut(id);
  await expectSettledAtZero(id);

  await redis().sadd(couponKeys(id).issued, "987654321");
  expect(await driftBecomes(id, 1)).toBe(1);
});

it("lock: a settled sale reads 0; a member with a row removed from Redis reads -1, and both tampers add up", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: LIMIT, strategy: "lock" });
  await sellOut(id);
  await expectSettledAtZero(id);

  const [{ userId }] = await env.sql<{ userId: string }>(`SELECT min("userId")::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1`, [id]);
  expect(await redis().srem(couponKeys(id).issued, userId)).toBe(1);
  expect(await driftBecomes(id, -1)).toBe(-1);
  await redis().sadd(couponKeys(id).issued, "111111111", "222222222");
  expect(await driftBecomes(id, 1)).toBe(1);
});

it("measures only live coupons that keep state in Redis", async () => {
  const pg = await createCoupon(app.url, { totalQuantity: 5, strategy: "postgres" });
  const set = await createCoupon(app.url, { totalQuantity: 5, strategy: "redis-set" });
  for (const c of [pg, set]) expect((await request(`${app.url}/coupons/${c.id}/issue`, { body: { userId: 1 } })).status).toBe(201);
  expect(await driftBecomes(set.id, 0)).toBe(0);
  expect(await drift(pg.id)).toBeUndefined();

  // Once its sale window closes, the coupon is no longer measured.
  await env.sql(`UPDATE "Coupon" SET "endsAt" = now() - interval '1 second' WHERE id = $1`, [set.id]);
  expect(await driftBecomes(set.id, undefined)).toBeUndefined();
});
