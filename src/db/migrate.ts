import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Client } from "pg";

/**
 * Applies prisma/migrations/<timestamp>_<name>/migration.sql in order and
 * records each in Prisma's own `_prisma_migrations` table, so that
 * `prisma migrate deploy` agrees with us wherever its engine is available.
 * We run it ourselves because Prisma 7's migrate engine is downloaded at run
 * time, which locked-down machines cannot do.
 */
export const MIGRATIONS_DIR = path.resolve(__dirname, "../../prisma/migrations");
const MIGRATIONS_DIR_FALLBACK = path.resolve(__dirname, "../../../prisma/migrations");

// Any constant works, as long as every runner of this project uses the same one.
const ADVISORY_LOCK_KEY = 7_305_123_301;

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationResult {
  applied: string[];
  databaseCreated: boolean;
}

export async function migrate(databaseUrl: string): Promise<MigrationResult> {
  const databaseCreated = await createDatabaseIfMissing(databaseUrl);
  const dir = await migrationsDir();
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // Several processes may start at once; one migrates, the others wait.
    await client.query("SELECT pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations"
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
    const newlyApplied: string[] = [];
    for (const name of names) {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      const previous = applied.get(name);
      if (previous !== undefined) {
        if (previous !== checksum) throw new Error(`Migration ${name} was edited after it was applied`);
        continue;
      }
      await applyOne(client, name, sql, checksum);
      newlyApplied.push(name);
    }
    return { applied: newlyApplied, databaseCreated };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [ADVISORY_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function applyOne(client: Client, name: string, sql: string, checksum: string): Promise<void> {
  const id = randomUUID();
  await client.query("BEGIN");
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
      [id, checksum, name],
    );
    await client.query(sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw new Error(`Migration ${name} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function migrationsDir(): Promise<string> {
  // From src/ under jest the folder is two levels up; from dist/src, three.
  for (const dir of [MIGRATIONS_DIR, MIGRATIONS_DIR_FALLBACK]) {
    if (await readdir(dir).then(() => true, () => false)) return dir;
  }
  throw new Error(`No prisma/migrations folder near ${__dirname}`);
}

async function createDatabaseIfMissing(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database) throw new Error("DATABASE_URL names no database");
  url.pathname = "/postgres";
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
      return true;
    } catch (err) {
      // Another process created it between our check and our CREATE: PostgreSQL
      // says so as 42P04, or as 23505 when both CREATEs ran at the same moment.
      const code = (err as { code?: string }).code;
      if (code === "42P04" || code === "23505") return false;
      throw err;
    }
  } finally {
    await admin.end();
  }
}
