import { createCoupon, inFlight, request, type Reply } from "../support/http";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";
import { Redis } from "ioredis";

/**
 * One user firing 10,000 requests in a burst: issued once, and each request
 * costs at most one Redis round trip, counted with MONITOR on a Redis of our
 * own (which tags the commands a script runs inside itself as "lua").
 */
let server: RedisServer;
let env: TestEnv;
let app: TestApp;
let probe: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  // MONITOR makes Redis echo every command to this process, which on two
  // shared cores can starve the app past the 500 ms default timeout and turn
  // answers into 503s; this test counts calls, it does not time them.
  env = await createTestEnv({ REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: "5000" });
  app = await env.startApp();
  probe = new Redis(server.url);
});
afterAll(async () => {
  probe?.disconnect();
  await env?.dispose();
  await server?.stop();
});

/** Counts the commands clients send (not those scripts run) while `work` runs. */
async function roundTrips(work: () => Promise<unknown>): Promise<number> {
  const monitor = await probe.monitor();
  let count = 0;
  monitor.on("monitor", (_time: string, _args: string[], source: string) => {
    if (source !== "lua") count++;
  });
  try {
    await work();
    await new Promise((r) => setTimeout(r, 100)); // the last lines of the feed
  } finally {
    monitor.disconnect();
  }
  return count;
}

it.each(["redis-set", "queue", "lock"])("%s: 10,000 requests from one user, issued once, one Redis call each", async (strategy) => {
  const { id } = await createCoupon(app.url, { totalQuantity: 10, strategy });
  const first = await request(`${app.url}/coupons/${id}/issue`, { body: { userId: 7 }, headers: { prefer: "wait=5" } });
  expect(first.status).toBe(201);

  let answers: Reply[] = [];
  const started = Date.now();
  const used = await roundTrips(async () => {
    answers = await inFlight(
      Array.from({ length: 10_000 }, () => () => request(`${app.url}/coupons/${id}/issue`, { body: { userId: 7 } })),
      200,
    );
  });

  const answered: Record<string, number> = {};
  for (const a of answers) answered[`${a.status} ${a.body.code}`] = (answered[`${a.status} ${a.body.code}`] ?? 0) + 1;
  expect(answered).toEqual({ "409 ALREADY_ISSUED": 10_000 });
  expect(await env.sql(`SELECT "userId"::text AS u FROM "UserCoupon" WHERE "couponId" = $1`, [id])).toEqual([{ u: "7" }]);
  // Background work adds a few commands a second, however slow the machine:
  // the queue worker's tick (SMEMBERS, then HGETALL and a claim per coupon it
  // knows). A second call per request would add 10,000.
  const background = 10 * Math.ceil((Date.now() - started) / 1_000);
  expect(used).toBeLessThanOrEqual(10_000 + background);
});
