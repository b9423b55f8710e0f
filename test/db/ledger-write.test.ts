import { Pool } from "pg";
import { Ledger, type RowToIssue, type WriteResult } from "../../src/db/ledger";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * The one write entry of the ledger, against real PostgreSQL: rows of many
 * coupons in one call, each coupon held to its own limit and fence.
 */
let env: TestEnv;
let pool: Pool;
let ledger: Ledger;

beforeAll(async () => {
  env = await createTestEnv();
  pool = new Pool({ connectionString: env.config.databaseUrl, max: 10 });
  // An idle connection closed by the server (another suite restarting PostgreSQL) is no failure of ours.
  pool.on("error", () => undefined);
  ledger = new Ledger(pool);
});
afterAll(async () => {
  await pool?.end();
  await env?.dispose();
});

async function coupon(limit: number): Promise<number> {
  const [row] = await env.sql<{ id: number }>(`INSERT INTO "Coupon" (name, "totalQuantity", strategy) VALUES ('t', $1, 'redis-set') RETURNING id`, [limit]);
  return row!.id;
}

async function state(couponId: number) {
  const rows = await env.sql<{ userId: string }>(`SELECT "userId"::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1 ORDER BY id`, [couponId]);
  const [c] = await env.sql<{ issuedCount: number; fenceToken: string }>(`SELECT "issuedCount", "fenceToken"::text AS "fenceToken" FROM "Coupon" WHERE id = $1`, [couponId]);
  return { users: rows.map((r) => r.userId), issuedCount: c!.issuedCount, fenceToken: BigInt(c!.fenceToken) };
}

const rowsOf = (couponId: number, users: readonly number[]): RowToIssue[] => users.map((u) => ({ couponId, userId: String(u) }));

it("writes the rows of many coupons, answering each row in the order given", async () => {
  const [a, b, c] = [await coupon(10), await coupon(10), await coupon(10)];
  const rows = [...rowsOf(a, [1, 2]), ...rowsOf(b, [1]), ...rowsOf(a, [3]), ...rowsOf(c, [7, 8, 9])];
  expect(await ledger.issue(rows)).toEqual(Array(7).fill("issued"));
  expect(await state(a)).toMatchObject({ users: ["1", "2", "3"], issuedCount: 3 });
  expect(await state(b)).toMatchObject({ users: ["1"], issuedCount: 1 });
  expect(await state(c)).toMatchObject({ users: ["7", "8", "9"], issuedCount: 3 });
});

it("holds each coupon to its own limit: a full one gets exactly its earliest rows, the others all of theirs", async () => {
  const [open, full] = [await coupon(100), await coupon(3)];
  await ledger.issue(rowsOf(full, [1]));
  const rows = [...rowsOf(full, [2, 3, 4, 5]), ...rowsOf(open, [1, 2, 3, 4, 5])];
  expect(await ledger.issue(rows)).toEqual(["issued", "issued", "sold-out", "sold-out", ...Array(5).fill("issued")]);
  expect(await state(full)).toMatchObject({ users: ["1", "2", "3"], issuedCount: 3 });
  expect(await state(open)).toMatchObject({ users: ["1", "2", "3", "4", "5"], issuedCount: 5 });
});

it("answers duplicate for a row already there and for a user listed twice, counting each user once", async () => {
  const [a, b] = [await coupon(3), await coupon(5)];
  await ledger.issue(rowsOf(a, [1, 2]));
  // Coupon a has one place left: the two users already there must not count against it.
  const results = await ledger.issue([...rowsOf(a, [1, 2, 3, 3]), ...rowsOf(b, [4, 4])]);
  expect(results).toEqual(["duplicate", "duplicate", "issued", "duplicate", "issued", "duplicate"]);
  expect(await state(a)).toMatchObject({ users: ["1", "2", "3"], issuedCount: 3 });
  expect(await state(b)).toMatchObject({ users: ["4"], issuedCount: 1 });
});

it("answers sold-out for rows of a coupon the ledger does not have, and writes the rest", async () => {
  const a = await coupon(5);
  expect(await ledger.issue([...rowsOf(999_999, [1]), ...rowsOf(a, [1, 2])])).toEqual(["sold-out", "issued", "issued"]);
});

it("writes a coupon's rows only under a fence no older than the ledger's, per coupon", async () => {
  const [old, current, unfenced] = [await coupon(10), await coupon(10), await coupon(10)];
  await ledger.issue(rowsOf(old, [1]), new Map([[old, 5n]]));
  const results = await ledger.issue(
    [...rowsOf(old, [2, 3]), ...rowsOf(current, [1, 2]), ...rowsOf(unfenced, [1])],
    new Map([
      [old, 4n],
      [current, 9n],
    ]),
  );
  expect(results).toEqual(["fenced", "fenced", "issued", "issued", "issued"]);
  expect(await state(old)).toMatchObject({ users: ["1"], issuedCount: 1, fenceToken: 5n });
  expect(await state(current)).toMatchObject({ users: ["1", "2"], issuedCount: 2, fenceToken: 9n });
  expect(await state(unfenced)).toMatchObject({ users: ["1"], fenceToken: 0n });
});

it("records a newer fence even when every row was written already", async () => {
  const a = await coupon(10);
  await ledger.issue(rowsOf(a, [1, 2]));
  expect(await ledger.issue(rowsOf(a, [1, 2]), new Map([[a, 3n]]))).toEqual(["duplicate", "duplicate"]);
  expect((await state(a)).fenceToken).toBe(3n);
});

it("settles a full coupon one row at a time under its fence, stopping at the first fenced row", async () => {
  const a = await coupon(2);
  await ledger.issue(rowsOf(a, [1]), new Map([[a, 2n]]));
  expect(await ledger.issue(rowsOf(a, [2, 3, 4]), new Map([[a, 2n]]))).toEqual(["issued", "sold-out", "sold-out"]);
  expect(await ledger.issue(rowsOf(a, [5, 6]), new Map([[a, 1n]]))).toEqual(["fenced", "fenced"]);
});

it("never over-issues nor loses a count with hundreds of overlapping writes of many coupons in flight", async () => {
  const limit = 20;
  const coupons: number[] = [];
  for (let i = 0; i < 12; i++) coupons.push(await coupon(limit));
  // 300 writes of 1–40 rows each, coupons and users overlapping across writes (users 1..60 per coupon).
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const writes = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + Math.floor(random() * 40) }, () => ({ couponId: coupons[Math.floor(random() * coupons.length)]!, userId: String(1 + Math.floor(random() * 60)) })),
  );
  const answered = await Promise.all(writes.map((w) => ledger.issue(w)));
  for (const couponId of coupons) {
    const s = await state(couponId);
    const asked = new Set(writes.flat().filter((r) => r.couponId === couponId).map((r) => r.userId));
    // Exactly N when demand is at least N, one row per user, the counter equal to the rows.
    expect(s.users).toHaveLength(Math.min(limit, asked.size));
    expect(new Set(s.users).size).toBe(s.users.length);
    expect(s.issuedCount).toBe(s.users.length);
    // Each row was answered "issued" exactly once, and nobody without a row was.
    const issued: string[] = [];
    writes.forEach((w, i) => w.forEach((r, j) => r.couponId === couponId && answered[i]![j] === "issued" && issued.push(r.userId)));
    expect(issued.sort()).toEqual([...s.users].sort());
  }
  const kinds = new Set<WriteResult>(answered.flat());
  expect([...kinds].sort()).toEqual(["duplicate", "issued", "sold-out"]);
});
