import { defineCouponCommands } from "../../src/coupon-store/commands";
import { couponKeys } from "../../src/coupon-store/keys";
import { closeRedis, createRedis, type RedisClient } from "../../src/redis/client";
import { createCoupon, request } from "../support/http";
import { ledger } from "../support/race";
import { createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/** The operator's lists, sale controls and edits, through HTTP against real PostgreSQL and Redis. */
let env: TestEnv;
let app: TestApp;
let redis: RedisClient;

beforeAll(async () => {
  env = await createTestEnv({ HOLD_TIMEOUT_MS: "300" });
  app = await env.startApp();
  redis = createRedis(env.config, "operator-test");
  // The tests admit shoppers behind the routes' backs, with the scripts the store uses.
  defineCouponCommands(redis);
});
afterAll(async () => {
  if (redis) await closeRedis(redis);
  await env?.dispose();
});

const STRATEGIES = ["redis-set", "queue", "lock", "postgres"] as const;
const op = (method: string, path: string, body?: unknown) => request(`${app.url}${path}`, { method, body, operator: true });
const issue = (couponId: number, userId: number) => request(`${app.url}/coupons/${couponId}/issue`, { body: { userId }, headers: { prefer: "wait=5" } });

async function until(what: string, check: () => Promise<boolean>, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("GET /coupons", () => {
  it("pages through every coupon newest first, each once, with live counts and status", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createCoupon(app.url, { totalQuantity: 2, name: `page ${i}` })).id);
    expect((await issue(ids[6]!, 1)).status).toBe(201);
    expect((await issue(ids[6]!, 2)).status).toBe(201);
    expect((await issue(ids[5]!, 1)).status).toBe(201);

    const seen: { id: number; status: string; issuedCount: number; remaining: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<typeof op>> = await op("GET", `/coupons?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    const listed = seen.map((c) => c.id);
    expect(listed).toEqual([...listed].sort((a, b) => b - a));
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed.slice(0, 7)).toEqual([...ids].reverse());
    expect(seen[0]).toMatchObject({ id: ids[6], status: "sold-out", issuedCount: 2, remaining: 0 });
    expect(seen[1]).toMatchObject({ id: ids[5], status: "live", issuedCount: 1, remaining: 1 });
  });

  it("filters by status, computed as of now", async () => {
    const scheduled = await createCoupon(app.url, { totalQuantity: 1, startsAt: "2099-01-01T00:00:00Z" });
    const ended = await createCoupon(app.url, { totalQuantity: 1, startsAt: "2001-01-01T00:00:00Z", endsAt: "2002-01-01T00:00:00Z" });
    const paused = await createCoupon(app.url, { totalQuantity: 1 });
    expect((await op("POST", `/coupons/${paused.id}/pause`)).status).toBe(200);
    const idsOf = async (status: string) => (await op("GET", `/coupons?status=${status}&limit=100`)).body.items.map((c: { id: number }) => c.id);
    expect(await idsOf("scheduled")).toEqual([scheduled.id]);
    expect(await idsOf("ended")).toEqual([ended.id]);
    expect(await idsOf("paused")).toEqual([paused.id]);
    expect(await idsOf("live")).not.toContain(paused.id);
  });

  it("is for operators only", async () => {
    const res = await request(`${app.url}/coupons`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe("UNAUTHORIZED");
  });
});

describe("GET /coupons/:id/issuances", () => {
  it("pages through the winners in issue order", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 10, strategy: "postgres" });
    const order = [5, 3, 9, 1, 7];
    for (const u of order) expect((await issue(id, u)).status).toBe(201);
    const first = await op("GET", `/coupons/${id}/issuances?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((w: { userId: string }) => w.userId)).toEqual(["5", "3"]);
    const second = await op("GET", `/coupons/${id}/issuances?limit=2&cursor=${first.body.nextCursor}`);
    const third = await op("GET", `/coupons/${id}/issuances?limit=2&cursor=${second.body.nextCursor}`);
    expect(second.body.items.map((w: { userId: string }) => w.userId)).toEqual(["9", "1"]);
    expect(third.body.items.map((w: { userId: string }) => w.userId)).toEqual(["7"]);
    expect(third.body.nextCursor).toBeNull();
    expect(Date.parse(third.body.items[0].issuedAt)).toBeGreaterThan(0);
  });

  it("answers CSV for Accept: text/csv, and at .csv, with a header row", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 3, strategy: "postgres" });
    for (const u of [30, 10, 20]) expect((await issue(id, u)).status).toBe(201);
    const byAccept = await request(`${app.url}/coupons/${id}/issuances`, { operator: true, headers: { accept: "text/csv" } });
    const byPath = await op("GET", `/coupons/${id}/issuances.csv`);
    for (const res of [byAccept, byPath]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      const lines = (res.body as string).trimEnd().split("\n");
      expect(lines[0]).toBe("userId,issuedAt");
      expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(["30", "10", "20"]);
      expect(lines[1]).toMatch(/^30,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it("answers 404 for a coupon that does not exist, CSV included", async () => {
    expect((await op("GET", "/coupons/987654/issuances")).body.code).toBe("COUPON_NOT_FOUND");
    expect((await op("GET", "/coupons/987654/issuances.csv")).body.code).toBe("COUPON_NOT_FOUND");
  });
});

describe("POST /coupons/:id/pause, /resume, /close", () => {
  it.each(STRATEGIES)("%s: paused shoppers get COUPON_PAUSED, resumed ones are issued, closed ones get COUPON_ENDED", async (strategy) => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy });
    expect((await issue(id, 1)).status).toBe(201);

    const paused = await op("POST", `/coupons/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id, status: "paused", issuedCount: 1 });
    const refused = await issue(id, 2);
    expect([refused.status, refused.body.code]).toEqual([409, "COUPON_PAUSED"]);

    expect((await op("POST", `/coupons/${id}/resume`)).body.status).toBe("live");
    expect((await issue(id, 2)).status).toBe(201);

    expect((await op("POST", `/coupons/${id}/close`)).body.status).toBe("ended");
    const ended = await issue(id, 3);
    expect([ended.status, ended.body.code]).toEqual([409, "COUPON_ENDED"]);
    expect((await ledger(env, id)).userIds.sort()).toEqual(["1", "2"]);
  });

  it("refuses transitions the status does not allow: 409 INVALID_TRANSITION, nothing changed", async () => {
    const live = await createCoupon(app.url, { totalQuantity: 1 });
    const soldOut = await createCoupon(app.url, { totalQuantity: 1 });
    expect((await issue(soldOut.id, 1)).status).toBe(201);
    const closed = await createCoupon(app.url, { totalQuantity: 1 });
    expect((await op("POST", `/coupons/${closed.id}/close`)).status).toBe(200);
    const ended = await createCoupon(app.url, { totalQuantity: 1, startsAt: "2001-01-01T00:00:00Z", endsAt: "2002-01-01T00:00:00Z" });

    const refusals: [number, string, string][] = [
      [live.id, "resume", "live"],
      [soldOut.id, "pause", "sold-out"],
      [closed.id, "close", "ended"],
      [closed.id, "resume", "ended"],
      [closed.id, "pause", "ended"],
      [ended.id, "pause", "ended"],
      [ended.id, "close", "ended"],
    ];
    for (const [id, action, status] of refusals) {
      const before = await op("GET", `/coupons/${id}`);
      const res = await op("POST", `/coupons/${id}/${action}`);
      expect([action, status, res.status, res.body.code, res.body.couponStatus]).toEqual([action, status, 409, "INVALID_TRANSITION", status]);
      expect(await op("GET", `/coupons/${id}`)).toMatchObject({ body: before.body });
    }
    // Closing a sold-out sale is allowed: it ends it before its window does.
    expect((await op("POST", `/coupons/${soldOut.id}/close`)).body.status).toBe("ended");
  });

  it("a queued admission settles after a pause", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy: "queue" });
    expect((await issue(id, 1)).status).toBe(201); // loads Redis, and tells the workers about this queue
    const k = couponKeys(id);
    const tag = await redis.hget(k.meta, "tag");
    // Shopper 2 is admitted as the route would, but no worker is woken: only a tick will find it.
    expect(await redis.admitToQueue(k.meta, k.issued, k.pending, k.queue, "2", Date.now(), tag!)).toBe(1);
    expect((await op("POST", `/coupons/${id}/pause`)).status).toBe(200);
    await until("the queued shopper's row", async () => (await ledger(env, id)).userIds.includes("2"));
    expect((await request(`${app.url}/coupons/${id}/issuances/2`)).body.status).toBe("ISSUED");
    expect((await issue(id, 3)).body.code).toBe("COUPON_PAUSED");
  });

  it("a held admission whose caller gave up settles after a close", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy: "redis-set" });
    expect((await issue(id, 1)).status).toBe(201);
    const k = couponKeys(id);
    const tag = await redis.hget(k.meta, "tag");
    // Shopper 2 takes a place and is never confirmed, as if its request died right after admission.
    expect(await redis.issueRedisSet(k.meta, k.issued, k.holds, "2", tag!, 100)).toBe(1);
    expect((await op("POST", `/coupons/${id}/close`)).status).toBe(200);
    await until("the held shopper's row", async () => (await ledger(env, id)).userIds.includes("2"));
    expect((await issue(id, 3)).body.code).toBe("COUPON_ENDED");
  });

  it("answers 404 for a coupon that does not exist, and 401 to shoppers", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 1 });
    for (const action of ["pause", "resume", "close"]) {
      expect((await op("POST", `/coupons/987654/${action}`)).body.code).toBe("COUPON_NOT_FOUND");
      expect((await request(`${app.url}/coupons/${id}/${action}`, { method: "POST" })).status).toBe(401);
    }
    expect((await request(`${app.url}/coupons/${id}`)).body.status).toBe("live");
  });
});

describe("PATCH /coupons/:id", () => {
  it("changes name, description and window while scheduled or paused, and the window holds at once", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, startsAt: "2099-01-01T00:00:00Z" });
    const edited = await op("PATCH", `/coupons/${id}`, { name: "Renamed", description: "Spring sale" });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: "Renamed", description: "Spring sale", status: "scheduled" });

    // Opening the window now makes it live.
    const opened = await op("PATCH", `/coupons/${id}`, { startsAt: null, description: null });
    expect(opened.body).toMatchObject({ status: "live", startsAt: null, description: null });
    expect((await issue(id, 1)).status).toBe(201);

    const live = await op("PATCH", `/coupons/${id}`, { name: "Not now" });
    expect([live.status, live.body.code, live.body.couponStatus]).toEqual([409, "COUPON_NOT_EDITABLE", "live"]);

    // Paused, its window closes; resumed, it is over: the Redis copy holds the new window.
    expect((await op("POST", `/coupons/${id}/pause`)).status).toBe(200);
    expect((await op("PATCH", `/coupons/${id}`, { endsAt: new Date(Date.now() + 1_000).toISOString() })).status).toBe(200);
    expect((await op("POST", `/coupons/${id}/resume`)).body.status).toBe("live");
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await issue(id, 2)).body.code).toBe("COUPON_ENDED");
    expect((await ledger(env, id)).userIds).toEqual(["1"]);
  });

  it("refuses a window that would end before it starts, changing nothing", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 1, startsAt: "2099-01-01T00:00:00Z" });
    const res = await op("PATCH", `/coupons/${id}`, { endsAt: "2098-01-01T00:00:00Z" });
    expect([res.status, res.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    expect((await op("GET", `/coupons/${id}`)).body).toMatchObject({ endsAt: null, startsAt: "2099-01-01T00:00:00.000Z" });
  });
});

describe("the sale state in Redis", () => {
  it("a change whose Redis copy was lost is repaired by repeating the call, or by reconcile", async () => {
    const lose = async (id: number, state: string) => {
      // What a change leaves when Redis did not take its copy (the call answered 503): PostgreSQL only.
      await env.sql(`UPDATE "Coupon" SET "saleState" = $2, "saleVersion" = "saleVersion" + 1 WHERE id = $1`, [id, state]);
    };
    const repeated = await createCoupon(app.url, { totalQuantity: 5, strategy: "queue" });
    expect((await issue(repeated.id, 1)).status).toBe(201);
    await lose(repeated.id, "paused");
    expect((await issue(repeated.id, 2)).status).toBe(201); // Redis still says open
    expect((await op("POST", `/coupons/${repeated.id}/pause`)).body.code).toBe("INVALID_TRANSITION");
    expect((await issue(repeated.id, 3)).body.code).toBe("COUPON_PAUSED");

    const reconciled = await createCoupon(app.url, { totalQuantity: 5, strategy: "lock" });
    expect((await issue(reconciled.id, 1)).status).toBe(201);
    await lose(reconciled.id, "closed");
    const dry = await request(`${app.url}/coupons/${reconciled.id}/reconcile`, { body: { dryRun: true }, operator: true });
    expect(dry.body).toMatchObject({ saleMismatch: true, repaired: false });
    expect((await issue(reconciled.id, 2)).status).toBe(201);
    const fixed = await request(`${app.url}/coupons/${reconciled.id}/reconcile`, { method: "POST", operator: true });
    expect(fixed.body).toMatchObject({ saleMismatch: true, repaired: true });
    expect((await issue(reconciled.id, 3)).body.code).toBe("COUPON_ENDED");
    const clean = await request(`${app.url}/coupons/${reconciled.id}/reconcile`, { method: "POST", operator: true });
    expect(clean.body).toMatchObject({ saleMismatch: false, repaired: false });
  });

  it("survives a rebuild: a paused coupon whose Redis keys are lost stays paused", async () => {
    const { id } = await createCoupon(app.url, { totalQuantity: 5, strategy: "redis-set" });
    expect((await issue(id, 1)).status).toBe(201);
    expect((await op("POST", `/coupons/${id}/pause`)).status).toBe(200);
    await redis.del(couponKeys(id).meta);
    expect((await issue(id, 2)).body.code).toBe("COUPON_PAUSED");
    expect(await redis.hget(couponKeys(id).meta, "state")).toBe("paused");
  });
});
