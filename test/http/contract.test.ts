import { Redis } from "ioredis";
import { createCoupon, request } from "../support/http";
import { REDIS_URL, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** Every route's success and error answers, as the README and the OpenAPI document state them. */
let env: TestEnv;
let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

const issue = (couponId: number, userId: unknown, headers: Record<string, string> = {}) =>
  request(`${app.url}/coupons/${couponId}/issue`, { body: { userId }, headers });

describe("POST /coupons", () => {
  it("creates a coupon with defaults and answers 201 with Location", async () => {
    const res = await request(`${app.url}/coupons`, { body: { name: "Spring sale", totalQuantity: 3 }, operator: true });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/coupons/${res.body.id}`);
    expect(res.body).toMatchObject({
      name: "Spring sale",
      strategy: "redis-set",
      totalQuantity: 3,
      issuedCount: 0,
      remaining: 3,
      startsAt: null,
      endsAt: null,
    });
  });

  it("accepts every strategy and a sale window", async () => {
    for (const strategy of ["redis-set", "queue", "lock", "postgres"]) {
      const res = await request(`${app.url}/coupons`, {
        body: { name: strategy, totalQuantity: 1, strategy, startsAt: "2030-01-01T00:00:00+09:00", endsAt: "2030-01-02T00:00:00Z" },
        operator: true,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ strategy, startsAt: "2029-12-31T15:00:00.000Z", endsAt: "2030-01-02T00:00:00.000Z" });
    }
  });

  it("refuses shoppers: 401 without the operator token", async () => {
    const res = await request(`${app.url}/coupons`, { body: { name: "x", totalQuantity: 1 } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("UNAUTHORIZED");
  });
});

describe("GET /coupons/:id", () => {
  it("answers live counts", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5 });
    await issue(id, 1);
    await issue(id, 2);
    const res = await request(`${app.url}/coupons/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, totalQuantity: 5, issuedCount: 2, remaining: 3 });
  });

  it("answers 404 COUPON_NOT_FOUND for an unknown coupon", async () => {
    const res = await request(`${app.url}/coupons/987654`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("COUPON_NOT_FOUND");
  });
});

describe("POST /coupons/:id/issue", () => {
  it("issues (201), then answers ALREADY_ISSUED and SOLD_OUT (409)", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 1 });
    const first = await issue(id, "42");
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ couponId: id, userId: "42", status: "ISSUED" });
    const again = await issue(id, 42);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("ALREADY_ISSUED");
    const late = await issue(id, 43);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("SOLD_OUT");
  });

  it("treats a numeric and a string userId, and leading zeros, as one user", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5 });
    expect((await issue(id, 7)).status).toBe(201);
    expect((await issue(id, "7")).body.code).toBe("ALREADY_ISSUED");
    expect((await issue(id, "007")).body.code).toBe("ALREADY_ISSUED");
  });

  it("accepts the largest 64-bit userId as a string", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5 });
    const res = await issue(id, "9223372036854775807");
    expect(res.status).toBe(201);
    const rows = await env.sql(`SELECT "userId"::text AS u FROM "UserCoupon" WHERE "couponId" = $1`, [id]);
    expect(rows).toEqual([{ u: "9223372036854775807" }]);
  });

  it("answers COUPON_NOT_STARTED and COUPON_ENDED outside the sale window, touching nothing", async () => {
    const future = await createCoupon(app.url, { totalQuantity: 5, startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    const past = await createCoupon(app.url, {
      totalQuantity: 5,
      startsAt: new Date(Date.now() - 7_200_000).toISOString(),
      endsAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect((await issue(future.id, 1)).body.code).toBe("COUPON_NOT_STARTED");
    expect((await issue(past.id, 1)).body.code).toBe("COUPON_ENDED");
    const rows = await env.sql(`SELECT 1 FROM "UserCoupon" WHERE "couponId" IN ($1, $2)`, [future.id, past.id]);
    expect(rows).toHaveLength(0);
  });

  it("answers 404 for a coupon that does not exist", async () => {
    const res = await issue(123456, 1);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe("COUPON_NOT_FOUND");
  });

  it("echoes a sane X-Request-Id and makes one otherwise", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5 });
    const mine = await issue(id, 1, { "x-request-id": "trace-abc.1" });
    expect(mine.headers.get("x-request-id")).toBe("trace-abc.1");
    const hostile = await issue(id, 2, { "x-request-id": "bad id\twith spaces" });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[\w-]+$/);
    expect(hostile.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("GET /coupons/:id/issuances/:userId", () => {
  it("answers ISSUED for a holder and NOT_REQUESTED otherwise", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5 });
    await issue(id, 5);
    const held = await request(`${app.url}/coupons/${id}/issuances/5`);
    expect(held.status).toBe(200);
    expect(held.body).toEqual({ couponId: id, userId: "5", status: "ISSUED" });
    const none = await request(`${app.url}/coupons/${id}/issuances/6`);
    expect(none.status).toBe(404);
    expect(none.body.code).toBe("NOT_REQUESTED");
  });
});

describe("PUT /coupons/:id/limit", () => {
  const setLimit = (id: number, totalQuantity: number, operator = true) =>
    request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity }, operator });

  it("raises and lowers the limit, effective at once in Redis and PostgreSQL", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 2 });
    await issue(id, 1);
    await issue(id, 2);
    expect((await issue(id, 3)).body.code).toBe("SOLD_OUT");
    const raised = await setLimit(id, 3);
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ totalQuantity: 3, issuedCount: 2, remaining: 1 });
    expect((await issue(id, 3)).status).toBe(201);
    expect((await setLimit(id, 5)).status).toBe(200);
    expect((await setLimit(id, 4)).status).toBe(200);
    expect(await redis.hget(`${env.config.redisKeyPrefix}coupon:{${id}}:meta`, "limit")).toBe("4");
    expect((await issue(id, 4)).status).toBe(201);
    expect((await issue(id, 5)).body.code).toBe("SOLD_OUT");
  });

  it("refuses to go below what is issued: 409 LIMIT_BELOW_ISSUED, nothing changed", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5 });
    for (const u of [1, 2, 3]) await issue(id, u);
    const res = await setLimit(id, 2);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("LIMIT_BELOW_ISSUED");
    expect((await request(`${app.url}/coupons/${id}`)).body.totalQuantity).toBe(5);
    expect(await redis.hget(`${env.config.redisKeyPrefix}coupon:{${id}}:meta`, "limit")).toBe("5");
  });

  it("works on the postgres strategy, and answers 404 and 401", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 1, strategy: "postgres" });
    expect((await issue(id, 1)).status).toBe(201);
    expect((await setLimit(id, 2)).status).toBe(200);
    expect((await issue(id, 2)).status).toBe(201);
    expect((await setLimit(id, 1)).body.code).toBe("LIMIT_BELOW_ISSUED");
    expect((await setLimit(555555, 3)).status).toBe(404);
    expect((await setLimit(id, 3, false)).status).toBe(401);
  });
});

describe("POST /coupons/:id/reconcile", () => {
  it("reports differences and repairs Redis from PostgreSQL", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 10 });
    for (const u of [1, 2, 3]) await issue(id, u);
    const issuedKey = `${env.config.redisKeyPrefix}coupon:{${id}}:issued`;
    await redis.srem(issuedKey, "2");
    await redis.sadd(issuedKey, "99");

    const dry = await request(`${app.url}/coupons/${id}/reconcile`, { body: { dryRun: true }, operator: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ couponId: id, missingInRedis: ["2"], extraInRedis: ["99"], repaired: false });
    expect(await redis.sismember(issuedKey, "99")).toBe(1);

    const real = await request(`${app.url}/coupons/${id}/reconcile`, { method: "POST", operator: true });
    expect(real.body).toMatchObject({ missingInRedis: ["2"], extraInRedis: ["99"], repaired: true });
    expect((await redis.smembers(issuedKey)).sort()).toEqual(["1", "2", "3"]);

    const clean = await request(`${app.url}/coupons/${id}/reconcile`, { method: "POST", operator: true });
    expect(clean.body).toMatchObject({ missingInRedis: [], extraInRedis: [], limitMismatch: false, repaired: false });
  });

  it("answers 404 for an unknown coupon", async () => {
    expect((await request(`${app.url}/coupons/777777/reconcile`, { method: "POST", operator: true })).status).toBe(404);
  });
});

describe("operations", () => {
  it("serves healthz, readyz and Prometheus metrics", async () => {
    expect((await request(`${app.url}/healthz`)).status).toBe(200);
    const ready = await request(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ redis: true, postgres: true });
    const metrics = await request(`${app.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/coupon_issue_total\{strategy="redis-set",result="issued"\} \d+/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_bucket/);
  });

  it("readiness fails with 503 when Redis is unreachable", async () => {
    const broken = await env.startApp({ REDIS_URL: "redis://127.0.0.1:1" });
    try {
      const res = await request(`${broken.url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.body.checks).toEqual({ redis: false, postgres: true });
      // And issuing answers a fast 503 UNAVAILABLE rather than hanging.
      const { id } = await createCoupon(app.url, { totalQuantity: 5 });
      const started = Date.now();
      const issued = await request(`${broken.url}/coupons/${id}/issue`, { body: { userId: 1 } });
      expect(issued.status).toBe(503);
      expect(issued.body.code).toBe("UNAVAILABLE");
      expect(issued.headers.get("retry-after")).toBe("1");
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await broken.stop();
    }
  });
});
