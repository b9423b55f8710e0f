import { Redis } from "ioredis";
import { startRedisServer, type RedisServer } from "../../scripts/support/redis-server";
import { couponKeys } from "../../src/coupon-store/keys";
import { createCoupon, request } from "../support/http";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * A pause made while Redis is cut off: PostgreSQL records it and the answer
 * is 202, not 200 (the copy every admission script checks has not landed)
 * and not 503 (something did change). The postgres path, which serves
 * shoppers while Redis is away, already refuses them; the copy lands by
 * itself once Redis is back, and then Redis refuses them too.
 */
let redisServer: RedisServer;
let proxy: TcpProxy;
let env: TestEnv;
let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  redisServer = await startRedisServer();
  proxy = await startTcpProxy(redisServer.port);
  env = await createTestEnv({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_FALLBACK: "postgres" });
  app = await env.startApp();
  redis = new Redis(redisServer.port, { keyPrefix: env.config.redisKeyPrefix });
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
  await proxy?.close();
  await redisServer?.stop();
});

const issue = (couponId: number, userId: number) => request(`${app.url}/coupons/${couponId}/issue`, { body: { userId } });

it("a pause Redis did not take answers 202, holds on the postgres path at once, and reaches Redis when it returns", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: 10, strategy: "redis-set" });
  expect((await issue(id, 1)).status).toBe(201);

  await proxy.cut();
  const paused = await request(`${app.url}/coupons/${id}/pause`, { method: "POST", operator: true });
  expect([paused.status, paused.body.status]).toEqual([202, "paused"]);
  expect(await redis.hget(couponKeys(id).meta, "state")).toBe("open");
  // Redis is away: the fallback serves shoppers from PostgreSQL, which has the pause.
  expect((await issue(id, 2)).body.code).toBe("COUPON_PAUSED");

  await proxy.restore();
  const deadline = Date.now() + 10_000;
  while ((await redis.hget(couponKeys(id).meta, "state")) !== "paused" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await redis.hget(couponKeys(id).meta, "state")).toBe("paused");
  let answer = await issue(id, 3);
  while (answer.status === 503 && Date.now() < deadline) answer = await issue(id, 3); // the app's own connection may still be reconnecting
  expect(answer.body.code).toBe("COUPON_PAUSED");
  const rows = await env.sql(`SELECT "userId"::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1`, [id]);
  expect(rows).toEqual([{ userId: "1" }]);

  // Once Redis has it, the same call answers as usual.
  const resumed = await request(`${app.url}/coupons/${id}/resume`, { method: "POST", operator: true });
  expect([resumed.status, resumed.body.status]).toEqual([200, "live"]);
  expect((await issue(id, 3)).status).toBe(201);
});
