import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { CATALOG_REFRESH_MS } from "../../src/issuance/coupon-catalog";
import { createCoupon, request } from "../support/http";
import { ledger, race, toldIssued } from "../support/race";
import { createTestEnv, type TestEnv } from "../support/test-env";

/**
 * Redis state that outlived its database: the database is dropped and
 * created again (a restore, a reset staging environment) while Redis keeps
 * its keys, and the new coupon gets the same id as the old one. The old
 * state (its admitted set full, its limit, its queue) must never be used
 * against the new ledger: the coupon is rebuilt from the new ledger, and
 * sells exactly its N to its own shoppers.
 */
const PG_ADMIN = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

async function dropDatabase(databaseUrl: string) {
  const admin = new Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${new URL(databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
  await admin.end();
}

/** Sells the rest of the coupon to users 1..200: it ends with exactly `n` rows, each told ISSUED. */
async function sellOut(env: TestEnv, url: string, id: number, n: number, issuedBefore: readonly string[] = []) {
  const result = await race([url], id, { users: 200, requests: 400, concurrency: 50, firstUser: 1 });
  const rows = await ledger(env, id);
  expect(rows.userIds).toHaveLength(n);
  expect(new Set([...toldIssued(result), ...issuedBefore])).toEqual(new Set(rows.userIds));
  return rows.userIds;
}

describe.each(["redis-set", "queue", "lock"])("%s", (strategy) => {
  const prefix = `t${randomBytes(4).toString("hex")}:`;
  let first: TestEnv;
  let second: TestEnv | undefined;

  beforeEach(async () => {
    first = await createTestEnv({ REDIS_KEY_PREFIX: prefix });
  });
  afterEach(async () => {
    await first.dispose();
    if (second) {
      await second.dispose();
      await dropDatabase(second.config.databaseUrl);
      second = undefined;
    }
  });

  it("a service started on a re-created database rebuilds the coupon instead of trusting Redis", async () => {
    const old = await first.startApp();
    const { id } = await createCoupon(old.url, { totalQuantity: 30, strategy });
    const oldWinners = await sellOut(first, old.url, id, 30);
    await old.stop();

    // Same database name, same Redis prefix: only the ledger is new.
    await dropDatabase(first.config.databaseUrl);
    second = await createTestEnv({ DATABASE_URL: first.config.databaseUrl, REDIS_KEY_PREFIX: prefix });
    const app = await second.startApp();
    expect((await createCoupon(app.url, { totalQuantity: 30, strategy })).id).toBe(id);
    // An old winner has nothing in the new ledger: not ALREADY_ISSUED, not SOLD_OUT.
    const again = await request(`${app.url}/coupons/${id}/issue`, { body: { userId: oldWinners[0] }, headers: { prefer: "wait=5" } });
    expect([again.status, again.body.status]).toEqual([201, "ISSUED"]);
    await sellOut(second, app.url, id, 30, [oldWinners[0]!]);
  });

  it(`a running service notices the re-created database within ${CATALOG_REFRESH_MS / 1000} s`, async () => {
    const app = await first.startApp();
    const { id } = await createCoupon(app.url, { totalQuantity: 30, strategy });
    await sellOut(first, app.url, id, 30);

    await dropDatabase(first.config.databaseUrl);
    second = await createTestEnv({ DATABASE_URL: first.config.databaseUrl, REDIS_KEY_PREFIX: prefix });
    expect((await createCoupon(app.url, { totalQuantity: 30, strategy })).id).toBe(id);
    await new Promise((r) => setTimeout(r, CATALOG_REFRESH_MS + 100));
    // The first request after the bound may still be answered from the old
    // view, which then refreshes; from the next one on the new ledger rules.
    const probe = await request(`${app.url}/coupons/${id}/issue`, { body: { userId: 9_999 }, headers: { prefer: "wait=5" } });
    await new Promise((r) => setTimeout(r, 200));
    await sellOut(second, app.url, id, 30, probe.status === 201 ? ["9999"] : []);
  });
});
