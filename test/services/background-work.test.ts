import { couponKeys, HOLD_COUPONS_KEY, QUEUE_COUPONS_KEY } from "../../src/coupon-store/keys";
import { cliActor } from "../../src/db/audit-log";
import { createLogger } from "../../src/logger";
import { waitUntilReady } from "../../src/redis/client";
import { createServices, type Services } from "../../src/services";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * createServices only builds: the reconcile CLI builds services exactly so
 * and must never drain a queue or settle a hold behind an operator's back.
 * Only start(), which a serving process calls, begins that work.
 */
let env: TestEnv;
let services: Services | undefined;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(async () => {
  await services?.close();
  await env?.dispose();
});

const QUEUED_USER = "42";
const HELD_USER = "7";
const who = cliActor("background-work-test");

/** What is still waiting in Redis, and which rows the ledger has, for the two coupons. */
async function observe(queueId: number, holdId: number) {
  const { redis } = services!;
  const [queued, held] = await Promise.all([redis.llen(couponKeys(queueId).queue), redis.zcard(couponKeys(holdId).holds)]);
  const rows = await env.sql<{ couponId: number; userId: string }>(
    `SELECT "couponId", "userId"::text FROM "UserCoupon" WHERE "couponId" = ANY($1) ORDER BY "couponId"`,
    [[queueId, holdId]],
  );
  return { queued, held, rows: rows.map((r) => `${r.couponId}:${r.userId}`) };
}

it("builds without draining queues or settling holds; start() begins both", async () => {
  // As scripts/reconcile.ts does.
  services = createServices(env.config, createLogger("silent"));
  await waitUntilReady(services.redis, 5_000);
  const { admin } = services.deps;
  const { redis } = services;
  const queueCoupon = await admin.create({ name: "queued", totalQuantity: 5, strategy: "queue" }, who);
  const holdCoupon = await admin.create({ name: "held", totalQuantity: 5, strategy: "redis-set" }, who);
  // Reconcile loads each coupon's Redis state from the ledger.
  for (const c of [queueCoupon, holdCoupon]) expect((await admin.reconcile(c.id, false, who)).repaired).toBe(true);

  // A shopper admitted to the queue, as a serving process would leave them...
  const q = couponKeys(queueCoupon.id);
  const tag = await redis.hget(q.meta, "tag");
  expect(await redis.admitToQueue(q.meta, q.issued, q.pending, q.queue, QUEUED_USER, Date.now(), tag!)).toBe(1);
  await redis.sadd(QUEUE_COUPONS_KEY, String(queueCoupon.id));
  // ...and a redis-set admission nobody confirmed, already past its settle-by time.
  const h = couponKeys(holdCoupon.id);
  expect(await redis.holdPlaces(h.issued, h.holds, 0, 1, HELD_USER)).toBe(1);
  await redis.sadd(HOLD_COUPONS_KEY, String(holdCoupon.id));

  // What the CLI does next; then several worker and sweeper ticks' worth of waiting.
  for (const c of [queueCoupon, holdCoupon]) await admin.reconcile(c.id, false, who);
  await new Promise((r) => setTimeout(r, 3_500));
  expect(await observe(queueCoupon.id, holdCoupon.id)).toEqual({ queued: 1, held: 1, rows: [] });

  services.start();
  const settled = { queued: 0, held: 0, rows: [`${queueCoupon.id}:${QUEUED_USER}`, `${holdCoupon.id}:${HELD_USER}`] };
  const deadline = Date.now() + 10_000;
  let seen = await observe(queueCoupon.id, holdCoupon.id);
  while (JSON.stringify(seen) !== JSON.stringify(settled) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await observe(queueCoupon.id, holdCoupon.id);
  }
  expect(seen).toEqual(settled);

  await services.close();
  services = undefined;
});

it("close() is correct without start()", async () => {
  const unstarted = createServices(env.config, createLogger("silent"));
  await waitUntilReady(unstarted.redis, 5_000);
  await expect(unstarted.deps.readiness()).resolves.toEqual({ redis: true, postgres: true });
  await expect(unstarted.close()).resolves.toBeUndefined();
});
