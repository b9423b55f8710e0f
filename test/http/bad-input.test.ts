import { Redis } from "ioredis";
import { createCoupon, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { REDIS_URL, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** every malformed request gets a clear 4xx problem+json and changes nothing, in PostgreSQL or Redis. */
let env: TestEnv;
let app: TestApp;
let redis: Redis;
let couponId: number;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp();
  redis = new Redis(REDIS_URL);
  couponId = (await createCoupon(app.url, { totalQuantity: 10 })).id;
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

const json = { "content-type": "application/json" };
const big = "9".repeat(40);

type Case = [name: string, path: string, init: { method?: string; rawBody?: string; headers?: Record<string, string> }, status: number, code?: string];

const issue = (rawBody: string, headers: Record<string, string> = json): Case[2] => ({ method: "POST", rawBody, headers });

const cases = (): Case[] => [
  ["userId missing", `/coupons/${couponId}/issue`, issue("{}"), 400, "VALIDATION_FAILED"],
  ["userId null", `/coupons/${couponId}/issue`, issue('{"userId":null}'), 400, "VALIDATION_FAILED"],
  ["userId zero", `/coupons/${couponId}/issue`, issue('{"userId":0}'), 400, "VALIDATION_FAILED"],
  ["userId negative", `/coupons/${couponId}/issue`, issue('{"userId":-5}'), 400, "VALIDATION_FAILED"],
  ["userId fraction", `/coupons/${couponId}/issue`, issue('{"userId":1.5}'), 400, "VALIDATION_FAILED"],
  ["userId unsafe number", `/coupons/${couponId}/issue`, issue('{"userId":9007199254740993}'), 400, "VALIDATION_FAILED"],
  ["userId 1e3 float form", `/coupons/${couponId}/issue`, issue('{"userId":1e400}'), 400, "VALIDATION_FAILED"],
  ["userId string over int64", `/coupons/${couponId}/issue`, issue('{"userId":"9223372036854775808"}'), 400, "VALIDATION_FAILED"],
  ["userId huge string", `/coupons/${couponId}/issue`, issue(`{"userId":"${big}"}`), 400, "VALIDATION_FAILED"],
  ["userId hex string", `/coupons/${couponId}/issue`, issue('{"userId":"0x10"}'), 400, "VALIDATION_FAILED"],
  ["userId with spaces", `/coupons/${couponId}/issue`, issue('{"userId":" 12"}'), 400, "VALIDATION_FAILED"],
  ["userId boolean", `/coupons/${couponId}/issue`, issue('{"userId":true}'), 400, "VALIDATION_FAILED"],
  ["userId array", `/coupons/${couponId}/issue`, issue('{"userId":[1]}'), 400, "VALIDATION_FAILED"],
  ["userId object", `/coupons/${couponId}/issue`, issue('{"userId":{"a":1}}'), 400, "VALIDATION_FAILED"],
  ["unknown field", `/coupons/${couponId}/issue`, issue('{"userId":1,"admin":true}'), 400, "VALIDATION_FAILED"],
  ["body is an array", `/coupons/${couponId}/issue`, issue("[1,2]"), 400, "VALIDATION_FAILED"],
  ["body is a string", `/coupons/${couponId}/issue`, issue('"x"'), 400, "VALIDATION_FAILED"],
  ["no body", `/coupons/${couponId}/issue`, { method: "POST" }, 400, "VALIDATION_FAILED"],
  ["broken JSON", `/coupons/${couponId}/issue`, issue('{"userId":'), 400, "MALFORMED_JSON"],
  ["prototype pollution", `/coupons/${couponId}/issue`, issue('{"__proto__":{"x":1},"userId":1}'), 400, "VALIDATION_FAILED"],
  ["oversized body", `/coupons/${couponId}/issue`, issue(`{"userId":1,"pad":"${"x".repeat(20_000)}"}`), 413, "PAYLOAD_TOO_LARGE"],
  ["text/plain", `/coupons/${couponId}/issue`, issue('{"userId":1}', { "content-type": "text/plain" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
  ["form encoded", `/coupons/${couponId}/issue`, issue("userId=1", { "content-type": "application/x-www-form-urlencoded" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
  ["coupon id letters", "/coupons/abc/issue", issue('{"userId":1}'), 400, "INVALID_COUPON_ID"],
  ["coupon id zero", "/coupons/0/issue", issue('{"userId":1}'), 400, "INVALID_COUPON_ID"],
  ["coupon id negative", "/coupons/-1/issue", issue('{"userId":1}'), 400, "INVALID_COUPON_ID"],
  ["coupon id fraction", "/coupons/1.5/issue", issue('{"userId":1}'), 400, "INVALID_COUPON_ID"],
  ["coupon id huge", `/coupons/${big}/issue`, issue('{"userId":1}'), 404, "COUPON_NOT_FOUND"],
  ["coupon id over int4", "/coupons/2147483648/issue", issue('{"userId":1}'), 404, "COUPON_NOT_FOUND"],
  ["coupon id bad escape", "/coupons/%E0%A4%A/issue", issue('{"userId":1}'), 400],
  ["coupon that does not exist", "/coupons/999999/issue", issue('{"userId":1}'), 404, "COUPON_NOT_FOUND"],
  ["status with bad user", `/coupons/${couponId}/issuances/abc`, {}, 400, "INVALID_USER_ID"],
  ["status with zero user", `/coupons/${couponId}/issuances/0`, {}, 400, "INVALID_USER_ID"],
  ["create without token", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":1}', headers: json }, 401, "UNAUTHORIZED"],
  ["create with wrong token", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":1}', headers: { ...json, authorization: "Bearer nope" } }, 401, "UNAUTHORIZED"],
  ["limit without token", `/coupons/${couponId}/limit`, { method: "PUT", rawBody: '{"totalQuantity":1}', headers: json }, 401, "UNAUTHORIZED"],
  ["reconcile without token", `/coupons/${couponId}/reconcile`, { method: "POST" }, 401, "UNAUTHORIZED"],
  ["audit without token", `/coupons/${couponId}/audit`, {}, 401, "UNAUTHORIZED"],
  ["audit with a wrong token", `/coupons/${couponId}/audit`, { headers: { authorization: "Bearer not-the-admin-token-0123" } }, 401, "UNAUTHORIZED"],
  ["my coupons without jwt mode", "/me/coupons", {}, 404, "NOT_FOUND"],
  ["unknown route", "/nope", {}, 404, "NOT_FOUND"],
  ["wrong method", `/coupons/${couponId}/issue`, { method: "DELETE" }, 404, "NOT_FOUND"],
];

const operator = { ...json, authorization: "Bearer test-admin-token-0123456789" };
const createCases = (): Case[] => [
  ["name missing", "/coupons", { method: "POST", rawBody: '{"totalQuantity":1}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["name empty", "/coupons", { method: "POST", rawBody: '{"name":" ","totalQuantity":1}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["name too long", "/coupons", { method: "POST", rawBody: `{"name":"${"n".repeat(101)}","totalQuantity":1}`, headers: operator }, 400, "VALIDATION_FAILED"],
  ["quantity zero", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":0}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["quantity too big", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":10000001}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["quantity string", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":"5"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["unknown strategy", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":1,"strategy":"magic"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["bad startsAt", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":1,"startsAt":"tomorrow"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["endsAt before startsAt", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":1,"startsAt":"2030-01-02T00:00:00Z","endsAt":"2030-01-01T00:00:00Z"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["limit zero", `/coupons/${couponId}/limit`, { method: "PUT", rawBody: '{"totalQuantity":0}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["limit fraction", `/coupons/${couponId}/limit`, { method: "PUT", rawBody: '{"totalQuantity":2.5}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["limit on bad id", "/coupons/x/limit", { method: "PUT", rawBody: '{"totalQuantity":2}', headers: operator }, 400, "INVALID_COUPON_ID"],
  ["audit on bad id", "/coupons/x/audit", { headers: operator }, 400, "INVALID_COUPON_ID"],
  ["audit of no coupon", "/coupons/999999/audit", { headers: operator }, 404, "COUPON_NOT_FOUND"],
  ["audit limit zero", `/coupons/${couponId}/audit?limit=0`, { headers: operator }, 400, "VALIDATION_FAILED"],
  ["audit limit too big", `/coupons/${couponId}/audit?limit=1000`, { headers: operator }, 400, "VALIDATION_FAILED"],
  ["audit bad cursor", `/coupons/${couponId}/audit?cursor=abc`, { headers: operator }, 400, "VALIDATION_FAILED"],
  ["audit cursor past int8", `/coupons/${couponId}/audit?cursor=9223372036854775808`, { headers: operator }, 400, "VALIDATION_FAILED"],
  ["audit unknown parameter", `/coupons/${couponId}/audit?offset=5`, { headers: operator }, 400, "VALIDATION_FAILED"],
  ["audit repeated parameter", `/coupons/${couponId}/audit?limit=1&limit=2`, { headers: operator }, 400, "VALIDATION_FAILED"],
];

it("every malformed request gets its 4xx problem+json and changes nothing", async () => {
  // Load the coupon's Redis state first, so that "nothing changed" covers Redis too.
  await request(`${app.url}/coupons/${couponId}/issue`, { body: { userId: 1 } });
  const before = await storeSnapshot(env, redis);
  for (const [name, path, init, status, code] of [...cases(), ...createCases()]) {
    const res = await request(`${app.url}${path}`, init);
    const where = `${name}: ${res.status} ${JSON.stringify(res.body)}`;
    expect([where, res.status]).toEqual([where, status]);
    expect([where, res.headers.get("content-type")]).toEqual([where, "application/problem+json; charset=utf-8"]);
    expect(res.body).toMatchObject({ type: "about:blank", status, title: expect.any(String), detail: expect.any(String) });
    if (code) expect([where, res.body.code]).toEqual([where, code]);
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|Prisma|SELECT|ioredis/);
  }
  expect(await storeSnapshot(env, redis)).toEqual(before);
});
