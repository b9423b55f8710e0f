import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { mintToken } from "../../scripts/support/shopper-tokens";
import { couponKeys } from "../../src/coupon-store/keys";
import { createCoupon, request } from "../support/http";
import { storeSnapshot } from "../support/snapshot";
import { ADMIN_TOKEN, createTestEnv, JWT_MODE, REDIS_URL, SHOPPER_JWT_SECRET, type TestApp, type TestEnv } from "../support/test-env";

/**
 * Operators: several admin tokens at once (rotation without downtime), or in
 * jwt mode a JWT with the coupons:admin scope; and the audit trail of what
 * each of them did.
 */
const NEXT_TOKEN = "next-admin-token-rotated-in-0123";
const signing = { secret: SHOPPER_JWT_SECRET };

let env: TestEnv;
let app: TestApp;
let redis: Redis;

beforeAll(async () => {
  env = await createTestEnv({ ...JWT_MODE, ADMIN_TOKEN: `${ADMIN_TOKEN}, ${NEXT_TOKEN}` });
  app = await env.startApp();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  redis?.disconnect();
  await env?.dispose();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const tokenId = (t: string) => `token:${createHash("sha256").update(t).digest("hex").slice(0, 12)}`;
const create = (headers: Record<string, string>, name = "op") => request(`${app.url}/coupons`, { body: { name, totalQuantity: 5 }, headers });
const audit = (couponId: number, query = "") => request(`${app.url}/coupons/${couponId}/audit${query}`, { operator: true });

describe("who may act", () => {
  it("accepts every listed admin token, and an operator JWT; records each by id, never the token", async () => {
    const byOld = await create(as(ADMIN_TOKEN));
    const byNew = await create(as(NEXT_TOKEN));
    const admin = await mintToken(signing, { sub: "ops-alice", ttlSeconds: 60, admin: true });
    const byJwt = await create(as(admin));
    expect([byOld.status, byNew.status, byJwt.status]).toEqual([201, 201, 201]);
    const actors = [];
    for (const c of [byOld, byNew, byJwt]) actors.push((await audit(c.body.id)).body.items[0].actor);
    expect(actors).toEqual([tokenId(ADMIN_TOKEN), tokenId(NEXT_TOKEN), "jwt:ops-alice"]);
    const stored = JSON.stringify(await env.sql(`SELECT * FROM "AuditEntry"`));
    expect(stored).not.toContain(ADMIN_TOKEN);
    expect(stored).not.toContain(NEXT_TOKEN);
  });

  it.each([
    ["an unlisted token", () => "retired-admin-token-0123456789", 401, "UNAUTHORIZED"],
    ["a listed token with a suffix", () => `${ADMIN_TOKEN}x`, 401, "UNAUTHORIZED"],
    ["both tokens as one", () => `${ADMIN_TOKEN},${NEXT_TOKEN}`, 401, "UNAUTHORIZED"],
    ["an expired operator JWT", () => mintToken(signing, { sub: "ops", ttlSeconds: -120, admin: true }), 401, "UNAUTHORIZED"],
    ["an operator JWT signed with another secret", () => mintToken({ secret: "x".repeat(40) }, { sub: "ops", ttlSeconds: 60, admin: true }), 401, "UNAUTHORIZED"],
    ["a shopper's JWT (no coupons:admin scope)", () => mintToken(signing, { sub: "42", ttlSeconds: 60 }), 403, "INSUFFICIENT_SCOPE"],
  ])("refuses %s, and nothing changes", async (_name, token, status, code) => {
    const before = await storeSnapshot(env, redis);
    const res = await create(as(await token()));
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(await storeSnapshot(env, redis)).toEqual(before);
  });

  it("refuses an operator JWT when shoppers are not verified (SHOPPER_AUTH=none)", async () => {
    const plain = await env.startApp({ SHOPPER_AUTH: "none" });
    const admin = await mintToken(signing, { sub: "ops", ttlSeconds: 60, admin: true });
    const res = await request(`${plain.url}/coupons`, { body: { name: "x", totalQuantity: 1 }, headers: as(admin) });
    expect([res.status, res.body.code]).toEqual([401, "UNAUTHORIZED"]);
    await plain.stop();
  });
});

describe("the audit trail", () => {
  it("records create and limit changes with before and after, the actor and the request id, newest first", async () => {
    const created = await request(`${app.url}/coupons`, { body: { name: "audited", totalQuantity: 5, strategy: "redis-set" }, headers: { ...as(ADMIN_TOKEN), "x-request-id": "req-create-1" } });
    const id = created.body.id as number;
    const raised = await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: 8 }, headers: { ...as(NEXT_TOKEN), "x-request-id": "req-limit-1" } });
    expect(raised.status).toBe(200);
    const trail = await audit(id);
    expect(trail.status).toBe(200);
    const settings = { name: "audited", description: null, strategy: "redis-set", startsAt: null, endsAt: null, status: "live" };
    expect(trail.body).toEqual({
      couponId: id,
      items: [
        {
          id: expect.any(String),
          action: "set-limit",
          actor: tokenId(NEXT_TOKEN),
          before: { ...settings, totalQuantity: 5 },
          after: { ...settings, totalQuantity: 8 },
          requestId: "req-limit-1",
          at: expect.any(String),
        },
        { id: expect.any(String), action: "create", actor: tokenId(ADMIN_TOKEN), before: null, after: { ...settings, totalQuantity: 5 }, requestId: "req-create-1", at: expect.any(String) },
      ],
      nextCursor: null,
    });
  });

  it("records edits, pause, resume and close, also when made from the dashboard logged in with an operator JWT", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, startsAt: "2099-01-01T00:00:00Z" });
    expect((await request(`${app.url}/coupons/${id}`, { method: "PATCH", body: { name: "renamed" }, operator: true })).status).toBe(200);
    expect((await request(`${app.url}/coupons/${id}/pause`, { method: "POST", operator: true })).status).toBe(200);
    // A refused transition records nothing.
    expect((await request(`${app.url}/coupons/${id}/pause`, { method: "POST", operator: true })).body.code).toBe("INVALID_TRANSITION");
    const admin = await mintToken(signing, { sub: "ops-bob", ttlSeconds: 600, admin: true });
    const login = await request(`${app.url}/dashboard/login`, { body: { token: admin } });
    expect(login.status).toBe(200);
    const cookie = { cookie: login.headers.get("set-cookie")!.split(";")[0]!, origin: app.url, "x-csrf-token": login.body.csrfToken };
    expect((await request(`${app.url}/coupons/${id}/resume`, { method: "POST", headers: cookie })).status).toBe(200);
    expect((await request(`${app.url}/coupons/${id}/close`, { method: "POST", headers: cookie })).status).toBe(200);
    const items = (await audit(id)).body.items as { action: string; actor: string; before: { name: string; status: string }; after: { name: string; status: string } }[];
    expect(items.map((e) => [e.action, e.actor, e.before?.status ?? null, e.after.status])).toEqual([
      ["close", "jwt:ops-bob", "scheduled", "ended"],
      ["resume", "jwt:ops-bob", "paused", "scheduled"],
      ["pause", tokenId(ADMIN_TOKEN), "scheduled", "paused"],
      ["edit", tokenId(ADMIN_TOKEN), "scheduled", "scheduled"],
      ["create", tokenId(ADMIN_TOKEN), null, "scheduled"],
    ]);
    expect([items[3]!.before.name, items[3]!.after.name]).toEqual(["test coupon", "renamed"]);
  });

  it("records nothing for a refused change or a dry run, and a reconcile only when it repaired", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 3 });
    for (const u of ["1", "2"]) expect((await request(`${app.url}/coupons/${id}/issue`, { body: {}, headers: as(await mintToken(signing, { sub: u, ttlSeconds: 60 })) })).status).toBe(201);
    const refused = await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: 1 }, operator: true });
    expect(refused.body.code).toBe("LIMIT_BELOW_ISSUED");
    expect((await request(`${app.url}/coupons/${id}/reconcile`, { body: { dryRun: true }, operator: true })).body.repaired).toBe(false);
    expect((await request(`${app.url}/coupons/${id}/reconcile`, { method: "POST", operator: true })).body.repaired).toBe(false);
    expect((await audit(id)).body.items.map((e: { action: string }) => e.action)).toEqual(["create"]);

    // Redis forgets a holder: the repair is recorded, with what it found and what it did.
    await redis.srem(env.config.redisKeyPrefix + couponKeys(id).issued, "2");
    const repair = await request(`${app.url}/coupons/${id}/reconcile`, { method: "POST", operator: true, headers: { "x-request-id": "req-repair" } });
    expect(repair.body).toMatchObject({ repaired: true, missingInRedis: ["2"] });
    const [latest] = (await audit(id)).body.items;
    expect(latest).toMatchObject({
      action: "reconcile",
      actor: tokenId(ADMIN_TOKEN),
      before: { loaded: true, limit: 3, admitted: 1 },
      after: { addedToRedis: 1, removedFromRedis: 0, limitSetTo: null, rebuilt: false },
      requestId: "req-repair",
    });
  });

  it("writes the entry in the change's transaction: if it cannot be recorded, the limit does not change", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy: "postgres" });
    // NOT VALID: only new entries are checked; this file's earlier limit entries stay.
    await env.sql(`ALTER TABLE "AuditEntry" ADD CONSTRAINT no_limit_entries CHECK (action <> 'set-limit') NOT VALID`);
    try {
      const res = await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: 9 }, operator: true });
      expect(res.status).toBe(503);
      const [row] = await env.sql<{ totalQuantity: number }>(`SELECT "totalQuantity" FROM "Coupon" WHERE id = $1`, [id]);
      expect(row!.totalQuantity).toBe(5);
    } finally {
      await env.sql(`ALTER TABLE "AuditEntry" DROP CONSTRAINT no_limit_entries`);
    }
  });

  it("pages newest first with limit and cursor", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 1 });
    for (const q of [2, 3, 4, 5]) await request(`${app.url}/coupons/${id}/limit`, { method: "PUT", body: { totalQuantity: q }, operator: true });
    const seen: number[] = [];
    let cursor: string | null = "";
    for (let pages = 0; cursor !== null && pages < 5; pages++) {
      const res = await audit(id, `?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      for (const e of res.body.items) seen.push(e.action === "create" ? 1 : e.after.totalQuantity);
      cursor = res.body.nextCursor;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it("is for operators only, and 404 for a coupon that does not exist", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 1 });
    expect((await request(`${app.url}/coupons/${id}/audit`)).status).toBe(401);
    expect((await request(`${app.url}/coupons/${id}/audit`, { headers: as(await mintToken(signing, { sub: "1", ttlSeconds: 60 })) })).status).toBe(403);
    expect((await audit(999_999)).body.code).toBe("COUPON_NOT_FOUND");
  });
});
