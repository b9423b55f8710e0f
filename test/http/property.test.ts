import fc from "fast-check";
import { Redis } from "ioredis";
import { mintToken } from "../../scripts/support/shopper-tokens";
import { createCoupon, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { ADMIN_TOKEN, REDIS_URL, SHOPPER_JWT_SECRET, SHOPPER_MODES, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * Hostile input, generated: random methods, paths, ids, headers and bodies at
 * every route, with shoppers naming themselves and with verified tokens (then
 * the Authorization header mixes good shopper and operator tokens, expired
 * and foreign ones, and garbage). Never a 5xx; and whatever is refused (4xx)
 * changes nothing in PostgreSQL or Redis. The only coupon that exists has not
 * started, so even a well-formed issue request is refused without touching
 * the ledger.
 */

/** Ids to put in paths: the real coupon's among hostile ones (so arbitraries are built once it exists). */
const id = (couponId: number) =>
  fc.oneof(
    fc.constant(String(couponId)),
    fc.integer({ min: -5, max: 10 }).map(String),
    fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
    fc.constantFrom("%00", "..", "%2e%2e", "1e3", "0x1", "１２", "%E0%A4%A", "NaN", "-0"),
  );
const path = (couponId: number) =>
  fc.oneof(
    id(couponId).map((c) => `/coupons/${c}/issue`),
    fc.tuple(id(couponId), id(couponId)).map(([c, u]) => `/coupons/${c}/issuances/${u}`),
    id(couponId).map((c) => `/coupons/${c}`),
    id(couponId).map((c) => `/coupons/${c}/limit`),
    id(couponId).map((c) => `/coupons/${c}/reconcile`),
    id(couponId).map((c) => `/coupons/${c}/audit`),
    fc.tuple(fc.constantFrom("limit", "cursor", "x"), fc.string({ maxLength: 25 })).map(([k, v]) => `/me/coupons?${k}=${encodeURIComponent(v)}`),
    fc.constantFrom("/coupons", "/healthz", "/readyz", "/openapi.json", "/", "/coupons/", "/me/coupons"),
    fc.webPath(),
  );
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({ userId: fc.oneof(fc.jsonValue(), fc.integer(), fc.string()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom("{", '{"userId":1', '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{}}}', "null", "[]"),
);
const headers = (tokens: string[]) =>
  fc.record(
    {
      "content-type": fc.constantFrom("application/json", "text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", "", "application/merge-patch+json"),
      authorization: fc.oneof(
        fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
        fc.constant(`Bearer ${ADMIN_TOKEN}x`),
        fc.constant("Basic YTpi"),
        fc.constantFrom(...tokens).map((t) => `Bearer ${t}`),
        fc.tuple(fc.constantFrom(...tokens), fc.nat({ max: 200 })).map(([t, i]) => `Bearer ${t.slice(0, i)}${t.slice(i + 1)}`),
      ),
      prefer: fc.string({ maxLength: 20 }),
      "x-request-id": fc.string({ maxLength: 80 }),
    },
    { requiredKeys: [] },
  );

/** Shoppers 1 and 2, an operator, an expired shopper and one signed with another secret. */
const tokens = () => {
  const signing = { secret: SHOPPER_JWT_SECRET };
  return Promise.all([
    mintToken(signing, { sub: "1", ttlSeconds: 600 }),
    mintToken(signing, { sub: "2", ttlSeconds: 600 }),
    mintToken(signing, { sub: "ops", ttlSeconds: 600, admin: true }),
    mintToken(signing, { sub: "1", ttlSeconds: -600 }),
    mintToken({ secret: "another-secret-0123456789abcdefghij" }, { sub: "1", ttlSeconds: 600 }),
  ]);
};

describe.each(SHOPPER_MODES)("SHOPPER_AUTH=%s", (_mode, overrides) => {
  let env: TestEnv;
  let app: TestApp;
  let redis: Redis;
  let couponId: number;

  beforeAll(async () => {
    env = await createTestEnv(overrides);
    app = await env.startApp();
    redis = new Redis(REDIS_URL);
    couponId = (await createCoupon(app.url, { totalQuantity: 5, startsAt: "2099-01-01T00:00:00Z" })).id;
  });
  afterAll(async () => {
    redis?.disconnect();
    await env?.dispose();
  });

  it("never answers 5xx, and a refused request changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), path(couponId), body, headers(await tokens()), async (method, p, b, h) => {
        const before = await storeSnapshot(env, redis);
        const safeHeaders = Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
        const res = await request(`${app.url}${p}`, { method, rawBody: method === "GET" ? undefined : b, headers: safeHeaders });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
          expect(await storeSnapshot(env, redis)).toEqual(before);
        }
      }),
      { numRuns: 300 },
    );
  });
});
