import fc from "fast-check";
import { Redis } from "ioredis";
import { mintToken } from "../../scripts/support/shopper-tokens";
import { createCoupon, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { ADMIN_TOKEN, REDIS_URL, SHOPPER_JWT_SECRET, SHOPPER_MODES, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * Hostile input, generated: random methods, paths, ids, headers and bodies at
 * every route, with shoppers naming themselves and with verified tokens (then
 * the Authorization header also carries good shopper and operator JWTs,
 * expired and foreign ones, and mangled ones). Never a 5xx; and whatever is
 * refused (4xx) changes nothing in PostgreSQL or Redis. The coupon made first
 * has not started, so a well-formed issue request for it is refused without
 * touching the ledger.
 *
 * The arbitraries are built per suite, once the coupon exists: built at load
 * time they would aim at coupon "undefined".
 */
function arbitraries(couponId: number, tokens: string[]) {
  const id = () =>
    fc.oneof(
      fc.constant(String(couponId)),
      fc.integer({ min: -5, max: 10 }).map(String),
      fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom("%00", "..", "%2e%2e", "1e3", "0x1", "１２", "%E0%A4%A", "NaN", "-0"),
    );
  /** A query string of the list parameters, good and bad, repeated or unknown. */
  const query = fc.oneof(
    fc.constant(""),
    fc
      .array(
        fc.tuple(
          fc.constantFrom("status", "cursor", "limit", "sort", ""),
          fc.oneof(
            fc.constantFrom("live", "paused", "ended", "sold-out", "scheduled", "0", "100", "1000", "1001", "-1", "1e2", "YzE", "dzE", "YzA", "%"),
            fc.string({ maxLength: 12 }),
          ),
        ),
        { maxLength: 3 },
      )
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`),
  );
  const operatorPath = fc.oneof(
    query.map((q) => `/coupons${q}`),
    fc.tuple(id(), query).map(([c, q]) => `/coupons/${c}/issuances${q}`),
    fc.tuple(id(), query).map(([c, q]) => `/coupons/${c}/issuances.csv${q}`),
    fc.tuple(id(), fc.constantFrom("pause", "resume", "close")).map(([c, a]) => `/coupons/${c}/${a}`),
    id().map((c) => `/coupons/${c}`),
  );
  const path = fc.oneof(
    operatorPath,
    id().map((c) => `/coupons/${c}/issue`),
    fc.tuple(id(), id()).map(([c, u]) => `/coupons/${c}/issuances/${u}`),
    id().map((c) => `/coupons/${c}`),
    id().map((c) => `/coupons/${c}/limit`),
    id().map((c) => `/coupons/${c}/reconcile`),
    fc.tuple(id(), query).map(([c, q]) => `/coupons/${c}/audit${q}`),
    fc.tuple(fc.constantFrom("limit", "cursor", "x"), fc.string({ maxLength: 25 })).map(([k, v]) => `/me/coupons?${k}=${encodeURIComponent(v)}`),
    fc.constantFrom("/coupons", "/healthz", "/readyz", "/openapi.json", "/", "/coupons/"),
    fc.constantFrom("/me/coupons", "/dashboard", "/dashboard/login", "/dashboard/logout", "/dashboard/session", "/dashboard/events"),
    fc.webPath().map((p) => `/dashboard/assets${p}`),
    fc.webPath(),
  );
  const body = fc.oneof(
    fc.constant(undefined),
    fc
      .record(
        {
          name: fc.oneof(fc.string({ maxLength: 120 }), fc.constant(null)),
          description: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null), fc.constant("d".repeat(1001))),
          startsAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(null), fc.string({ maxLength: 10 })),
          endsAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(null)),
          totalQuantity: fc.integer(),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ userId: fc.oneof(fc.jsonValue(), fc.integer(), fc.string()) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constantFrom("{", '{"userId":1', '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{}}}', "null", "[]"),
  );
  const headers = fc.record(
    {
      "content-type": fc.constantFrom("application/json", "text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", "", "application/merge-patch+json"),
      authorization: fc.oneof(
        fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
        fc.constant(`Bearer ${ADMIN_TOKEN}x`),
        fc.constant("Basic YTpi"),
        // The operator too, so the operator routes' own validation is fuzzed (what succeeds may change state).
        fc.constant(`Bearer ${ADMIN_TOKEN}`),
        ...tokens.flatMap((t) => [fc.constant(`Bearer ${t}`), fc.nat({ max: 200 }).map((i) => `Bearer ${t.slice(0, i)}${t.slice(i + 1)}`)]),
      ),
      accept: fc.constantFrom("text/csv", "application/json", "*/*", "text/html"),
      prefer: fc.string({ maxLength: 20 }),
      "x-request-id": fc.string({ maxLength: 80 }),
      cookie: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }).map((v) => `coupon_dashboard=${encodeURIComponent(v)}`)),
      origin: fc.constantFrom("https://evil.example", "null"),
      "x-csrf-token": fc.string({ maxLength: 44 }),
    },
    { requiredKeys: [] },
  );
  return { id, operatorPath, path, body, headers };
}

/** Shoppers 1 and 2, an operator, an expired shopper and one signed with another secret. */
function tokens(): Promise<string[]> {
  const signing = { secret: SHOPPER_JWT_SECRET };
  return Promise.all([
    mintToken(signing, { sub: "1", ttlSeconds: 600 }),
    mintToken(signing, { sub: "2", ttlSeconds: 600 }),
    mintToken(signing, { sub: "ops", ttlSeconds: 600, admin: true }),
    mintToken(signing, { sub: "1", ttlSeconds: -600 }),
    mintToken({ secret: "another-secret-0123456789abcdefghij" }, { sub: "1", ttlSeconds: 600 }),
  ]);
}

describe.each(SHOPPER_MODES)("SHOPPER_AUTH=%s", (mode, overrides) => {
  let env: TestEnv;
  let app: TestApp;
  let redis: Redis;
  let arb: ReturnType<typeof arbitraries>;
  /** A shopper's valid token (jwt mode), which an operator route answers 403 INSUFFICIENT_SCOPE. */
  let shopperToken: string;

  beforeAll(async () => {
    env = await createTestEnv(overrides);
    app = await env.startApp();
    redis = new Redis(REDIS_URL);
    const couponId = (await createCoupon(app.url, { totalQuantity: 5, startsAt: "2099-01-01T00:00:00Z" })).id;
    const minted = await tokens();
    shopperToken = minted[0]!;
    arb = arbitraries(couponId, mode === "jwt" ? minted : []);
  });
  afterAll(async () => {
    redis?.disconnect();
    await env?.dispose();
  });

  it("never answers 5xx, and a refused request changes nothing", async () => {
    const { path, body, headers } = arb;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"), path, body, headers, async (method, p, b, h) => {
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

  it("a shopper reaches no operator route, whatever the input: 401 (403 with a shopper's valid token), nothing changed", async () => {
    const { id, operatorPath, body } = arb;
    const shopperAuth = fc.option(
      fc.oneof(
        fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
        fc.constant(`Bearer ${ADMIN_TOKEN}x`),
        fc.constant(`bearer  ${ADMIN_TOKEN.slice(1)}`),
        fc.constant(`Bearer ${shopperToken}`),
      ),
      { nil: undefined },
    );
    const operatorRoute = fc.oneof(
      // GET /coupons/:id is the public read; every other GET here is the operator's.
      fc.tuple(fc.constant("GET"), operatorPath.filter((p) => !/\/(pause|resume|close)$/.test(p) && !/^\/coupons\/[^/?]+$/.test(p))),
      fc.tuple(fc.constant("PATCH"), id().map((c) => `/coupons/${c}`)),
      fc.tuple(fc.constant("POST"), fc.tuple(id(), fc.constantFrom("pause", "resume", "close")).map(([c, a]) => `/coupons/${c}/${a}`)),
    );
    await fc.assert(
      fc.asyncProperty(operatorRoute, body, shopperAuth, async ([method, p], b, auth) => {
        // Only ids that parse reach the token check first: a bad id is refused either way.
        fc.pre(/^\/coupons(\/[1-9]\d{0,8}(\/|$)|\?|$)/.test(p));
        const before = await storeSnapshot(env, redis);
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (auth !== undefined && /^[\t\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
        const res = await request(`${app.url}${p}`, { method, rawBody: method === "GET" ? undefined : b, headers });
        // A body that is not JSON is refused before any route (400 MALFORMED_JSON); anything else meets the token check.
        const scoped = mode === "jwt" && auth === `Bearer ${shopperToken}`;
        const refusal = scoped ? [403, "INSUFFICIENT_SCOPE"] : [401, "UNAUTHORIZED"];
        const expected = res.body?.code === "MALFORMED_JSON" ? [400, "MALFORMED_JSON"] : refusal;
        expect([method, p, res.status, res.body?.code]).toEqual([method, p, ...expected]);
        expect(await storeSnapshot(env, redis)).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });
});
