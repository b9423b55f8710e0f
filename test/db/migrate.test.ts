import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { readdirSync } from "node:fs";
import { migrate, MIGRATIONS_DIR } from "../../src/db/migrate";

/** Every migration folder, in the order they apply. */
const ALL = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

const base = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const name = `coupons_migrate_${randomBytes(4).toString("hex")}`;
const url = Object.assign(new URL(base), { pathname: `/${name}` }).toString();

afterAll(async () => {
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

it("creates the database, applies migrations once (even when raced), and records them as Prisma does", async () => {
  const runs = await Promise.all([migrate(url), migrate(url), migrate(url)]);
  expect(runs.filter((r) => r.databaseCreated).length).toBeLessThanOrEqual(1);
  // Each migration applied exactly once across the racing runs, in order.
  expect(ALL.length).toBeGreaterThanOrEqual(2);
  expect(runs.flatMap((r) => r.applied)).toEqual(ALL);
  expect((await migrate(url)).applied).toEqual([]);

  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT migration_name, length(checksum) AS len, finished_at IS NOT NULL AS done, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows).toEqual(ALL.map((migration_name) => ({ migration_name, len: 64, done: true, applied_steps_count: 1 })));
    // The ledger refuses over-issue by itself.
    await client.query(`INSERT INTO "Coupon" (name, "totalQuantity", strategy) VALUES ('c', 1, 'postgres')`);
    await client.query(`UPDATE "Coupon" SET "issuedCount" = 1`);
    await expect(client.query(`UPDATE "Coupon" SET "issuedCount" = 2`)).rejects.toMatchObject({ code: "23514" });
  } finally {
    await client.end();
  }
});
