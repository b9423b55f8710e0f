import { Redis } from "ioredis";
import { createCoupon, request } from "../support/http";
import { REDIS_URL, createTestEnv, type TestApp, type TestEnv } from "../support/test-env";

/**
 * Rebuild and reconcile at a size where paging matters: rebuilding Redis from PostgreSQL
 * and reconciling the two are exact for a coupon of 300,001 rows (many pages
 * of Ledger.issuedUserIds, many SSCAN batches).
 *
 * The userIds run from 1 to 300,001 (one to six digits) plus every 100th
 * beyond 2^53, so text order and numeric order disagree on nearly every
 * page boundary: keyset paging that sorts by the text form and continues
 * from it numerically (the bug this guards against) skips most rows.
 */
const ROWS = 300_001;
const LIMIT = 300_010;
/** Every 100th user is this plus its index: 64-bit ids a JS number could not hold. */
const BIG = 9_007_199_254_740_993n;
const userIdOf = (g: number) => (g % 100 === 0 ? (BIG + BigInt(g)).toString() : String(g));
/** Fresh users sit above every seeded id of 1-6 digits, below the 16-digit ones. */
const FRESH = 20_000_000;

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

const issuedKey = (id: number) => `${env.config.redisKeyPrefix}coupon:{${id}}:issued`;
const issue = (id: number, userId: string | number) => request(`${app.url}/coupons/${id}/issue`, { body: { userId } });
const reconcile = (id: number, dryRun: boolean) => request(`${app.url}/coupons/${id}/reconcile`, { body: { dryRun }, operator: true });

/** A redis-set coupon with ROWS rows written straight into the ledger, as a long sale would have left it. */
async function seededCoupon(): Promise<number> {
  const { id } = await createCoupon(app.url, { totalQuantity: LIMIT, strategy: "redis-set" });
  await env.sql(
    `INSERT INTO "UserCoupon" ("couponId", "userId")
     SELECT $1, CASE WHEN g % 100 = 0 THEN $3::bigint + g ELSE g END FROM generate_series(1, $2::int) g`,
    [id, ROWS, BIG.toString()],
  );
  await env.sql(`UPDATE "Coupon" SET "issuedCount" = $2 WHERE id = $1`, [id, ROWS]);
  return id;
}

/** Deletes the coupon's Redis keys, as if Redis had restarted empty (SCAN + UNLINK: never a blocking KEYS). */
async function loseCouponKeys(id: number): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${env.config.redisKeyPrefix}coupon:{${id}}:*`, "COUNT", 1_000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** Every ledger row's userId, read here with plain SQL so the check does not share the code under test. */
async function ledgerUserIds(id: number): Promise<string[]> {
  const rows = await env.sql<{ u: string }>(`SELECT "userId"::text AS u FROM "UserCoupon" WHERE "couponId" = $1`, [id]);
  return rows.map((r) => r.u);
}

/** Which of `userIds` are not in the coupon's admitted set. */
async function notAdmitted(id: number, userIds: readonly string[]): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < userIds.length; i += 10_000) pipeline.smismember(issuedKey(id), ...userIds.slice(i, i + 10_000));
  const flags = (await pipeline.exec())!.flatMap(([err, f]) => {
    if (err) throw err;
    return f as number[];
  });
  return userIds.filter((_, i) => flags[i] !== 1);
}

it(`rebuilds ${ROWS.toLocaleString("en-US")} issued users exactly after Redis lost them, and sells exactly to the limit`, async () => {
  const id = await seededCoupon();
  await loseCouponKeys(id);
  expect(await redis.exists(issuedKey(id))).toBe(0);

  // The first request finds nothing in Redis, rebuilds it from PostgreSQL, then is served.
  const first = await issue(id, FRESH);
  expect(first.status).toBe(201);

  const ledger = await ledgerUserIds(id);
  expect(ledger).toHaveLength(ROWS + 1);
  expect(await redis.scard(issuedKey(id))).toBe(ROWS + 1);
  // Same size and every row a member: the set is exactly the ledger.
  expect(await notAdmitted(id, ledger)).toEqual([]);

  // Users from every digit count, the last page's last user and a 64-bit one are known to Redis.
  for (const u of [1, 9, 10, 99_999, 100_001, 199_999, ROWS].map(userIdOf).concat(userIdOf(300_000))) {
    const again = await issue(id, u);
    expect({ u, status: again.status, code: again.body.code }).toEqual({ u, status: 409, code: "ALREADY_ISSUED" });
  }

  // The places left go to fresh users, and not one more.
  const issued: number[] = [];
  for (let u = FRESH + 1; ; u++) {
    const res = await issue(id, u);
    if (res.status === 409 && res.body.code === "SOLD_OUT") break;
    expect(res.status).toBe(201);
    issued.push(u);
    if (issued.length > LIMIT - ROWS) throw new Error(`issued past the limit: ${issued.length} fresh users`);
  }
  expect(issued).toHaveLength(LIMIT - ROWS - 1);
  const [counts] = await env.sql<{ rows: string; issuedCount: number }>(
    `SELECT (SELECT count(*) FROM "UserCoupon" WHERE "couponId" = $1) AS rows, "issuedCount" FROM "Coupon" WHERE id = $1`,
    [id],
  );
  expect(counts).toEqual({ rows: String(LIMIT), issuedCount: LIMIT });
  expect(await redis.scard(issuedKey(id))).toBe(LIMIT);
});

it(`reconciles a ${ROWS.toLocaleString("en-US")}-row coupon exactly: clean when healthy, every difference found, repaired`, async () => {
  const id = await seededCoupon();
  // Nothing in Redis yet: a real reconcile loads it.
  const load = await reconcile(id, false);
  expect(load.status).toBe(200);
  expect(load.body).toMatchObject({ redis: { loaded: false }, repaired: true });
  expect(await redis.scard(issuedKey(id))).toBe(ROWS);

  const clean = {
    postgres: { totalQuantity: LIMIT, issuedCount: ROWS, rows: ROWS },
    redis: { loaded: true, limit: LIMIT, admitted: ROWS },
    missingInRedis: [],
    extraInRedis: [],
    limitMismatch: false,
    counterMismatch: false,
    repaired: false,
  };
  const healthy = await reconcile(id, true);
  expect(healthy.status).toBe(200);
  expect(healthy.body).toMatchObject({ dryRun: true, ...clean });

  // Damage Redis: members of every digit count and a 64-bit one go missing,
  // as many strangers appear, so the set keeps exactly the ledger's size.
  const removed = [1, 10_000, 123_457, ROWS, 200_000].map(userIdOf);
  const strangers = ["300002", "88888888", "5000000000", "4611686018427387904", "9223372036854775807"];
  expect(await redis.srem(issuedKey(id), ...removed)).toBe(removed.length);
  expect(await redis.sadd(issuedKey(id), ...strangers)).toBe(strangers.length);

  const damaged = await reconcile(id, true);
  expect(damaged.status).toBe(200);
  expect(damaged.body).toMatchObject({ dryRun: true, repaired: false, counterMismatch: false, postgres: { rows: ROWS } });
  expect([...damaged.body.missingInRedis].sort()).toEqual([...removed].sort());
  expect([...damaged.body.extraInRedis].sort()).toEqual([...strangers].sort());
  // A dry run changes nothing.
  expect(await redis.scard(issuedKey(id))).toBe(ROWS - removed.length + strangers.length);

  const repair = await reconcile(id, false);
  expect(repair.status).toBe(200);
  expect(repair.body).toMatchObject({ dryRun: false, repaired: true });
  expect([...repair.body.missingInRedis].sort()).toEqual([...removed].sort());
  expect([...repair.body.extraInRedis].sort()).toEqual([...strangers].sort());

  const after = await reconcile(id, true);
  expect(after.body).toMatchObject({ dryRun: true, ...clean });
  expect(await redis.scard(issuedKey(id))).toBe(ROWS);
  expect(await notAdmitted(id, [...removed, ...strangers])).toEqual(strangers);
});
