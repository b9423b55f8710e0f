import { Redis } from "ioredis";
import { createCoupon, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { REDIS_URL, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** every malformed request gets a clear 4xx problem+json and changes nothing, in PostgreSQL or Redis. */
let env: TestEnv;
let app: TestApp;
let redis: Redis;
let couponId: number;
let closedId: number;
let scheduledId: number;

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.startApp();
  redis = new Redis(REDIS_URL);
  couponId = (await createCoupon(app.url, { totalQuantity: 10 })).id;
  closedId = (await createCoupon(app.url, { totalQuantity: 10 })).id;
  scheduledId = (await createCoupon(app.url, { totalQuantity: 10, startsAt: "2099-01-01T00:00:00Z" })).id;
  const closed = await request(`${app.url}/coupons/${closedId}/close`, { method: "POST", operator: true });
  if (closed.status !== 200) throw new Error(`close: ${closed.status}`);
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
  ["login without a body", "/dashboard/login", { method: "POST" }, 400, "VALIDATION_FAILED"],
  ["login token a number", "/dashboard/login", issue('{"token":5}'), 400, "VALIDATION_FAILED"],
  ["login token empty", "/dashboard/login", issue('{"token":""}'), 400, "VALIDATION_FAILED"],
  ["login unknown field", "/dashboard/login", issue('{"token":"x","admin":true}'), 400, "VALIDATION_FAILED"],
  ["login as a form", "/dashboard/login", issue("token=x", { "content-type": "application/x-www-form-urlencoded" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
  ["login with a wrong token", "/dashboard/login", issue('{"token":"nope"}'), 401, "UNAUTHORIZED"],
  ["login from another site", "/dashboard/login", issue('{"token":"nope"}', { ...json, origin: "https://evil.example" }), 403, "CSRF_REJECTED"],
  ["logout without a login", "/dashboard/logout", { method: "POST" }, 401, "UNAUTHORIZED"],
  ["session without a login", "/dashboard/session", {}, 401, "UNAUTHORIZED"],
  ["events without a login", "/dashboard/events", {}, 401, "UNAUTHORIZED"],
  ["events with an unsigned cookie", "/dashboard/events", { headers: { cookie: "coupon_dashboard=j%3A%7B%22sub%22%3A%22x%22%7D" } }, 401, "UNAUTHORIZED"],
  ["pause with a forged signature", `/coupons/${couponId}/pause`, { method: "POST", headers: { cookie: "coupon_dashboard=s%3Aj%3A%7B%7D.AAAA", origin: "http://127.0.0.1" } }, 401, "UNAUTHORIZED"],
  ["unknown dashboard asset", "/dashboard/assets/nope.js", {}, 404, "NOT_FOUND"],
  ["dashboard asset outside its folder", "/dashboard/assets/..%2F..%2Fpackage.json", {}, 404, "NOT_FOUND"],
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
];

/** The operator's routes: bad ids, cursors, limits, filters and bodies, refused transitions, and shoppers (no token). */
const cursor = (raw: string) => Buffer.from(raw).toString("base64url");
const operatorCases = (): Case[] => [
  ["list: unknown status", "/coupons?status=open", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: status twice", "/coupons?status=live&status=ended", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: limit zero", "/coupons?limit=0", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: limit too big", "/coupons?limit=101", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: limit negative", "/coupons?limit=-1", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: limit fraction", "/coupons?limit=1.5", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: limit exponent", "/coupons?limit=1e2", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: limit empty", "/coupons?limit=", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: cursor garbage", "/coupons?cursor=%%%", { headers: operator }, 400, "INVALID_QUERY"],
  ["list: cursor not ours", `/coupons?cursor=${cursor("hello")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["list: cursor of the winners", `/coupons?cursor=${cursor("w5")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["list: cursor past int4", `/coupons?cursor=${cursor("c2147483648")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["list: cursor zero", `/coupons?cursor=${cursor("c0")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["list: cursor padded", `/coupons?cursor=${cursor("c5")}==`, { headers: operator }, 400, "INVALID_QUERY"],
  ["list: unknown parameter", "/coupons?sort=name", { headers: operator }, 400, "INVALID_QUERY"],
  ["winners: bad id", "/coupons/abc/issuances", { headers: operator }, 400, "INVALID_COUPON_ID"],
  ["winners: zero id", "/coupons/0/issuances", { headers: operator }, 400, "INVALID_COUPON_ID"],
  ["winners: unknown coupon", "/coupons/999999/issuances", { headers: operator }, 404, "COUPON_NOT_FOUND"],
  ["winners: limit too big", `/coupons/${couponId}/issuances?limit=1001`, { headers: operator }, 400, "INVALID_QUERY"],
  ["winners: cursor of the coupons", `/coupons/${couponId}/issuances?cursor=${cursor("c5")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["winners: cursor past int8", `/coupons/${couponId}/issuances?cursor=${cursor("w9223372036854775808")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["winners: unknown parameter", `/coupons/${couponId}/issuances?status=live`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: bad id", "/coupons/x/audit", { headers: operator }, 400, "INVALID_COUPON_ID"],
  ["audit: unknown coupon", "/coupons/999999/audit", { headers: operator }, 404, "COUPON_NOT_FOUND"],
  ["audit: limit zero", `/coupons/${couponId}/audit?limit=0`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: limit too big", `/coupons/${couponId}/audit?limit=101`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: not a cursor", `/coupons/${couponId}/audit?cursor=abc`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: cursor of the coupons", `/coupons/${couponId}/audit?cursor=${cursor("c5")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: cursor past int8", `/coupons/${couponId}/audit?cursor=${cursor("a9223372036854775808")}`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: unknown parameter", `/coupons/${couponId}/audit?offset=5`, { headers: operator }, 400, "INVALID_QUERY"],
  ["audit: repeated parameter", `/coupons/${couponId}/audit?limit=1&limit=2`, { headers: operator }, 400, "INVALID_QUERY"],
  ["csv: bad id", "/coupons/x/issuances.csv", { headers: operator }, 400, "INVALID_COUPON_ID"],
  ["csv: unknown coupon", "/coupons/999999/issuances.csv", { headers: operator }, 404, "COUPON_NOT_FOUND"],
  ["csv: a parameter", `/coupons/${couponId}/issuances.csv?limit=5`, { headers: operator }, 400, "INVALID_QUERY"],
  ["csv by Accept: bad id", "/coupons/-3/issuances", { headers: { ...operator, accept: "text/csv" } }, 400, "INVALID_COUPON_ID"],
  ["pause: bad id", "/coupons/abc/pause", { method: "POST", headers: operator }, 400, "INVALID_COUPON_ID"],
  ["pause: unknown coupon", "/coupons/999999/pause", { method: "POST", headers: operator }, 404, "COUPON_NOT_FOUND"],
  ["resume: a live coupon", `/coupons/${couponId}/resume`, { method: "POST", headers: operator }, 409, "INVALID_TRANSITION"],
  ["resume: a closed coupon", `/coupons/${closedId}/resume`, { method: "POST", headers: operator }, 409, "INVALID_TRANSITION"],
  ["pause: a closed coupon", `/coupons/${closedId}/pause`, { method: "POST", headers: operator }, 409, "INVALID_TRANSITION"],
  ["close: twice", `/coupons/${closedId}/close`, { method: "POST", headers: operator }, 409, "INVALID_TRANSITION"],
  ["resume: a scheduled coupon", `/coupons/${scheduledId}/resume`, { method: "POST", headers: operator }, 409, "INVALID_TRANSITION"],
  ["close: huge id", `/coupons/${big}/close`, { method: "POST", headers: operator }, 404, "COUPON_NOT_FOUND"],
  ["patch: a live coupon", `/coupons/${couponId}`, { method: "PATCH", rawBody: '{"name":"x"}', headers: operator }, 409, "COUPON_NOT_EDITABLE"],
  ["patch: a closed coupon", `/coupons/${closedId}`, { method: "PATCH", rawBody: '{"name":"x"}', headers: operator }, 409, "COUPON_NOT_EDITABLE"],
  ["patch: empty body", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: "{}", headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: unknown field", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"totalQuantity":3}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: strategy", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"strategy":"queue"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: name null", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"name":null}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: description too long", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: `{"description":"${"d".repeat(1001)}"}`, headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: bad startsAt", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"startsAt":"soon"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: window reversed", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"startsAt":"2099-01-02T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: ends before the start it has", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"endsAt":"2098-01-01T00:00:00Z"}', headers: operator }, 400, "VALIDATION_FAILED"],
  ["patch: bad id", "/coupons/x", { method: "PATCH", rawBody: '{"name":"x"}', headers: operator }, 400, "INVALID_COUPON_ID"],
  ["patch: not JSON", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: "name=x", headers: { ...operator, "content-type": "text/plain" } }, 415, "UNSUPPORTED_MEDIA_TYPE"],
  ["create: description too long", "/coupons", { method: "POST", rawBody: `{"name":"x","totalQuantity":1,"description":"${"d".repeat(1001)}"}`, headers: operator }, 400, "VALIDATION_FAILED"],
  ["create: description empty", "/coupons", { method: "POST", rawBody: '{"name":"x","totalQuantity":1,"description":" "}', headers: operator }, 400, "VALIDATION_FAILED"],
  // A shopper (no operator token, or a wrong one) reaches none of them, even with good input.
  ["shopper: list", "/coupons", {}, 401, "UNAUTHORIZED"],
  ["shopper: list with a filter", "/coupons?status=live", {}, 401, "UNAUTHORIZED"],
  ["shopper: winners", `/coupons/${couponId}/issuances`, {}, 401, "UNAUTHORIZED"],
  ["shopper: csv", `/coupons/${couponId}/issuances.csv`, {}, 401, "UNAUTHORIZED"],
  ["shopper: csv by Accept", `/coupons/${couponId}/issuances`, { headers: { accept: "text/csv" } }, 401, "UNAUTHORIZED"],
  ["shopper: pause", `/coupons/${couponId}/pause`, { method: "POST" }, 401, "UNAUTHORIZED"],
  ["shopper: resume", `/coupons/${couponId}/resume`, { method: "POST" }, 401, "UNAUTHORIZED"],
  ["shopper: close", `/coupons/${couponId}/close`, { method: "POST", headers: { authorization: "Bearer nope" } }, 401, "UNAUTHORIZED"],
  ["shopper: audit", `/coupons/${couponId}/audit`, {}, 401, "UNAUTHORIZED"],
  ["shopper: patch", `/coupons/${scheduledId}`, { method: "PATCH", rawBody: '{"name":"x"}', headers: json }, 401, "UNAUTHORIZED"],
];

it("every malformed request gets its 4xx problem+json and changes nothing", async () => {
  // Load the coupon's Redis state first, so that "nothing changed" covers Redis too.
  await request(`${app.url}/coupons/${couponId}/issue`, { body: { userId: 1 } });
  const before = await storeSnapshot(env, redis);
  for (const [name, path, init, status, code] of [...cases(), ...createCases(), ...operatorCases()]) {
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
