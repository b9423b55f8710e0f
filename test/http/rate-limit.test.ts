import { Redis } from "ioredis";
import { createCoupon, inFlight, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { createTestEnv, JWT_MODE, REDIS_URL, type TestEnv } from "../support/test-env";
import { testTokens } from "../support/tokens";

/**
 * RATE_LIMIT_USER and RATE_LIMIT_IP on the issue route: exactly the allowed
 * count passes (sent at once), the next is 429 with Retry-After and changes
 * nothing; other users and addresses keep their own budgets. Windows are a
 * minute long, so a slow machine cannot roll a window over mid-test.
 */
let env: TestEnv;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

const issue = (url: string, couponId: number, userId: number, headers: Record<string, string> = {}) =>
  request(`${url}/coupons/${couponId}/issue`, { body: { userId }, headers });

async function expectLimited(res: Awaited<ReturnType<typeof issue>>) {
  expect([res.status, res.body.code, res.headers.get("content-type")]).toEqual([429, "RATE_LIMITED", "application/problem+json; charset=utf-8"]);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

it("RATE_LIMIT_USER: a user's first N requests all pass, the next is 429; another user is unaffected", async () => {
  const app = await env.startApp({ RATE_LIMIT_USER: "5/m" });
  const { id } = await createCoupon(app.url, { totalQuantity: 100 });
  const other = await createCoupon(app.url, { totalQuantity: 100 });
  const first = await inFlight(Array.from({ length: 5 }, () => () => issue(app.url, id, 7)), 5);
  // One wins, the rest are duplicates: answered, not turned away.
  expect(first.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
  const before = await storeSnapshot(env, redis);
  await expectLimited(await issue(app.url, id, 7));
  // The limit counts the user, whatever coupon they ask for.
  await expectLimited(await issue(app.url, other.id, 7));
  expect(await storeSnapshot(env, redis)).toEqual(before);
  expect((await issue(app.url, id, 8)).status).toBe(201);
  await app.stop();
});

it("RATE_LIMIT_IP counts the client address; with TRUST_PROXY it is the one the proxy forwarded", async () => {
  const direct = await env.startApp({ RATE_LIMIT_IP: "3/m" });
  const proxied = await env.startApp({ RATE_LIMIT_IP: "3/m", TRUST_PROXY: "loopback" });
  const { id } = await createCoupon(direct.url, { totalQuantity: 100 });
  const from = (ip: string) => ({ "x-forwarded-for": ip });

  // Without TRUST_PROXY the header is ignored: every request comes from 127.0.0.1.
  for (let u = 1; u <= 3; u++) expect((await issue(direct.url, id, 100 + u, from(`10.0.0.${u}`))).status).toBe(201);
  await expectLimited(await issue(direct.url, id, 104, from("10.0.0.4")));

  // Behind a trusted proxy each forwarded address has its own budget.
  const burst = await inFlight(Array.from({ length: 3 }, (_, i) => () => issue(proxied.url, id, 200 + i, from("10.0.0.1"))), 3);
  expect(burst.map((r) => r.status)).toEqual([201, 201, 201]);
  await expectLimited(await issue(proxied.url, id, 204, from("10.0.0.1")));
  expect((await issue(proxied.url, id, 205, from("10.0.0.2"))).status).toBe(201);
  const [row] = await env.sql<{ n: string }>(`SELECT count(*) AS n FROM "UserCoupon" WHERE "couponId" = $1`, [id]);
  expect(Number(row!.n)).toBe(7);
  await Promise.all([direct.stop(), proxied.stop()]);
});

it("with SHOPPER_AUTH=jwt the per-user limit counts the token's subject", async () => {
  const app = await env.startApp({ ...JWT_MODE, RATE_LIMIT_USER: "2/m" });
  const { id } = await createCoupon(app.url, { totalQuantity: 100 });
  const as = async (user: string) => testTokens.headers(user);
  expect((await request(`${app.url}/coupons/${id}/issue`, { body: {}, headers: await as("9") })).status).toBe(201);
  expect((await request(`${app.url}/coupons/${id}/issue`, { body: {}, headers: await as("9") })).status).toBe(409);
  await expectLimited(await request(`${app.url}/coupons/${id}/issue`, { body: {}, headers: await as("9") }));
  expect((await request(`${app.url}/coupons/${id}/issue`, { body: {}, headers: await as("10") })).status).toBe(201);
  await app.stop();
});
