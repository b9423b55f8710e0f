import { couponKeys, QUEUE_COUPONS_KEY } from "../../src/coupon-store/keys";
import { createCoupon, request } from "../support/http";
import { parseSamples, type Sample } from "../support/metrics-text";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** The metrics the alert rules lean on: problem answers by code, and the age of the oldest queued entry. */
let env: TestEnv;
let app: TestApp;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp();
});
afterAll(() => env?.dispose());

async function scrape(): Promise<Sample[]> {
  return parseSamples((await request<string>(`${app.url}/metrics`)).body);
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

it("counts every problem answer by route and code", async () => {
  const { id } = await createCoupon(app.url, { totalQuantity: 1 });
  const answers = [];
  for (const userId of [1, 2, 3, 1]) answers.push((await request(`${app.url}/coupons/${id}/issue`, { body: { userId } })).body.code);
  expect(answers).toEqual([undefined, "SOLD_OUT", "SOLD_OUT", "ALREADY_ISSUED"]);
  await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: 2 } }); // no token

  const samples = await scrape();
  const issue = { method: "POST", route: "/coupons/:couponId/issue" };
  expect(value(samples, "http_problems_total", { ...issue, code: "SOLD_OUT" })).toBe(2);
  expect(value(samples, "http_problems_total", { ...issue, code: "ALREADY_ISSUED" })).toBe(1);
  expect(value(samples, "http_problems_total", { method: "PUT", route: "/coupons/:couponId/limit", code: "UNAUTHORIZED" })).toBe(1);
  // Successful answers are no problems.
  expect(samples.filter((s) => s.name === "http_problems_total").reduce((n, s) => n + s.value, 0)).toBe(4);
});

it("reports how long the oldest queued entry has waited", async () => {
  expect(value(await scrape(), "coupon_queue_oldest_age_seconds")).toBe(0);
  // A queue no worker can drain: its coupon is not in this ledger, so the entry stays where it is.
  const stuck = 999_999;
  await app.running.services.redis.rpush(couponKeys(stuck).queue, `5:${Date.now() - 42_000}`);
  await app.running.services.redis.sadd(QUEUE_COUPONS_KEY, String(stuck));
  const deadline = Date.now() + 5_000;
  let age = 0;
  while (age < 42 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    age = value(await scrape(), "coupon_queue_oldest_age_seconds") ?? 0;
  }
  expect(age).toBeGreaterThanOrEqual(42);
  expect(age).toBeLessThan(60);
  expect(value(await scrape(), "coupon_queue_depth")).toBe(1);
});

it("tells a coupon's first load into Redis from a reload of state Redis lost", async () => {
  const count = async (kind: string) => value(await scrape(), "coupon_redis_rebuilds_total", { kind }) ?? 0;
  const before = { first: await count("first_load"), reload: await count("reload") };
  const { id } = await createCoupon(app.url, { totalQuantity: 5 });
  expect((await request(`${app.url}/coupons/${id}/issue`, { body: { userId: 1 } })).status).toBe(201);
  expect({ first: await count("first_load"), reload: await count("reload") }).toEqual({ first: before.first + 1, reload: before.reload });

  // As if Redis had lost the coupon's keys: the next request rebuilds them from a ledger that has a row.
  const k = couponKeys(id);
  await app.running.services.redis.del(k.meta, k.issued, k.holds);
  expect((await request(`${app.url}/coupons/${id}/issue`, { body: { userId: 2 } })).status).toBe(201);
  expect({ first: await count("first_load"), reload: await count("reload") }).toEqual({ first: before.first + 1, reload: before.reload + 1 });
});
