import fc from "fast-check";
import { Redis } from "ioredis";
import { createCoupon, request } from "../support/http";
import { ADMIN_TOKEN, REDIS_URL, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * Hostile input, generated: random methods, paths, ids, headers and bodies at
 * every route. Never a 5xx; and whatever is refused (4xx) changes nothing in
 * PostgreSQL or Redis. The only coupon that exists has not started, so even a
 * well-formed issue request is refused without touching the ledger.
 */
let env: TestEnv;
let app: TestApp;
let redis: Redis;
let couponId: number;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp();
  redis = new Redis(REDIS_URL);
  couponId = (await createCoupon(app.url, { totalQuantity: 5, startsAt: "2099-01-01T00:00:00Z" })).id;
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

async function state() {
  const [pg] = await env.sql(
    `SELECT (SELECT count(*) FROM "Coupon") AS coupons, (SELECT count(*) FROM "UserCoupon") AS rows,
            (SELECT string_agg("totalQuantity"::text || ':' || "issuedCount"::text, ',' ORDER BY id) FROM "Coupon") AS counts`,
  );
  const keys = (await redis.keys(`${env.config.redisKeyPrefix}*`)).sort();
  return { pg, keys, values: await Promise.all(keys.map((k) => redis.dump(k))) };
}

const id = () =>
  fc.oneof(
    fc.constant(String(couponId)),
    fc.integer({ min: -5, max: 10 }).map(String),
    fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
    fc.constantFrom("%00", "..", "%2e%2e", "1e3", "0x1", "１２", "%E0%A4%A", "NaN", "-0"),
  );
const path = fc.oneof(
  id().map((c) => `/coupons/${c}/issue`),
  fc.tuple(id(), id()).map(([c, u]) => `/coupons/${c}/issuances/${u}`),
  id().map((c) => `/coupons/${c}`),
  id().map((c) => `/coupons/${c}/limit`),
  id().map((c) => `/coupons/${c}/reconcile`),
  fc.constantFrom("/coupons", "/healthz", "/readyz", "/openapi.json", "/", "/coupons/"),
  fc.constantFrom("/dashboard", "/dashboard/login", "/dashboard/logout", "/dashboard/session", "/dashboard/events"),
  fc.webPath().map((p) => `/dashboard/assets${p}`),
  fc.webPath(),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ userId: fc.oneof(fc.jsonValue(), fc.integer(), fc.string()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("{", '{"userId":1', '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{}}}', "null", "[]"),
);
const headers = fc.record(
  {
    "content-type": fc.constantFrom("application/json", "text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", "", "application/merge-patch+json"),
    authorization: fc.oneof(fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`), fc.constant(`Bearer ${ADMIN_TOKEN}x`), fc.constant("Basic YTpi")),
    prefer: fc.string({ maxLength: 20 }),
    "x-request-id": fc.string({ maxLength: 80 }),
    cookie: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }).map((v) => `coupon_dashboard=${encodeURIComponent(v)}`)),
    origin: fc.constantFrom("https://evil.example", "null"),
    "x-csrf-token": fc.string({ maxLength: 44 }),
  },
  { requiredKeys: [] },
);

it("never answers 5xx, and a refused request changes nothing", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), path, body, headers, async (method, p, b, h) => {
      const before = await state();
      const safeHeaders = Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
      const res = await request(`${app.url}${p}`, { method, rawBody: method === "GET" ? undefined : b, headers: safeHeaders });
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) {
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        expect(await state()).toEqual(before);
      }
    }),
    { numRuns: 300 },
  );
});
