/**
 * What PostgreSQL (and Redis) give with nothing of ours in the way, measured
 * from the bench process on the service's own tables, so the strategies'
 * issuing rates have a same-run, same-table yardstick.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Client, Pool } from "pg";
import type { Redis } from "ioredis";
import { databaseUrl } from "../load/inspect";

export interface Rate {
  /** Rows written (or critical sections run, for the lock ceiling). */
  count: number;
  seconds: number;
  perSecond: number;
}

const rate = (count: number, startedMs: number): Rate => {
  const seconds = (performance.now() - startedMs) / 1000;
  return { count, seconds, perSecond: Math.round(count / seconds) };
};

export async function connect(): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  return client;
}

/** A fresh coupon row straight in the table, so each reference writes under its own (couponId, userId) keys. */
export async function createRefCoupon(pg: Client, limit: number, label: string): Promise<number> {
  const { rows } = await pg.query<{ id: number }>(
    `INSERT INTO "Coupon" (name, "totalQuantity", strategy) VALUES ($1, $2, 'postgres') RETURNING id`,
    [`bench reference: ${label}`, limit],
  );
  return rows[0]!.id;
}

const INSERT_ONE = `INSERT INTO "UserCoupon" ("couponId", "userId") VALUES ($1, $2)`;

/** (i) One INSERT per row from a pool the service's size, `inFlight` at a time, as the HTTP load would. */
export async function singleRowInserts(couponId: number, rows: number, inFlight: number, poolSize = 20): Promise<Rate> {
  const pool = new Pool({ connectionString: databaseUrl(), max: poolSize, connectionTimeoutMillis: 5_000 });
  try {
    // Open every connection before the clock starts: the service's pool is warm too.
    await Promise.all(Array.from({ length: poolSize }, () => pool.query("SELECT 1")));
    let next = 1;
    const started = performance.now();
    const worker = async () => {
      for (let u = next++; u <= rows; u = next++) {
        await pool.query({ name: "bench-insert-one", text: INSERT_ONE, values: [couponId, u] });
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, rows) }, worker));
    return rate(rows, started);
  } finally {
    await pool.end();
  }
}

const multiValues = new Map<number, string>();
/** INSERT ... VALUES ($1,$2),($1,$3),...: the plainest way to write a batch. */
function multiValuesSql(n: number): string {
  let sql = multiValues.get(n);
  if (!sql) {
    const tuples = Array.from({ length: n }, (_, i) => `($1, $${i + 2})`);
    sql = `INSERT INTO "UserCoupon" ("couponId", "userId") VALUES ${tuples.join(", ")}`;
    multiValues.set(n, sql);
  }
  return sql;
}

/** (ii) `rows` rows in `batch`-row multi-VALUES INSERTs, one after another, as one queue worker writes. */
export async function multiRowInserts(pg: Client, couponId: number, rows: number, batch = 500): Promise<Rate> {
  const started = performance.now();
  for (let first = 1; first <= rows; first += batch) {
    const n = Math.min(batch, rows - first + 1);
    const users = Array.from({ length: n }, (_, i) => first + i);
    await pg.query(multiValuesSql(n), [couponId, ...users]);
  }
  return rate(rows, started);
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const BUMP = `UPDATE "Coupon" SET "issuedCount" = "issuedCount" + 1 WHERE id = $1 AND "issuedCount" < "totalQuantity"`;
const LOCK_LEASE_MS = 5_000;

/**
 * (iii) The lock strategy's serial ceiling: one contender, so nobody waits,
 * looping lock → one-row transaction → release for `seconds`. No lock
 * strategy can issue faster than this, since the lock admits one at a time.
 */
export async function lockSerialCeiling(pg: Client, redis: Redis, couponId: number, seconds: number): Promise<Rate> {
  const key = `bench-ref-lock:{${couponId}}`;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let count = 0;
  try {
    while (performance.now() < deadline) {
      const token = randomBytes(8).toString("hex");
      if ((await redis.set(key, token, "PX", LOCK_LEASE_MS, "NX")) !== "OK") throw new Error(`${key} is held by someone else`);
      await pg.query("BEGIN");
      try {
        await pg.query({ name: "bench-bump", text: BUMP, values: [couponId] });
        await pg.query({ name: "bench-insert-one", text: INSERT_ONE, values: [couponId, count + 1] });
        await pg.query("COMMIT");
      } catch (err) {
        await pg.query("ROLLBACK");
        throw err;
      }
      await redis.eval(RELEASE, 1, key, token);
      count++;
    }
  } finally {
    await redis.del(key);
  }
  return rate(count, started);
}

export interface PgReferences {
  singleRow: Rate;
  /** Measured interleaved with the queue's drain (queue-drain.ts), on its row count. */
  multiRow: Rate;
  lockSerial: Rate;
}

const LOCK_CEILING_SECONDS = 3;
const BIG_LIMIT = 10_000_000;

/** (i) and (iii) on fresh coupon rows. */
export async function measurePgReferences(pg: Client, redis: Redis, rows: number, inFlight: number): Promise<Omit<PgReferences, "multiRow">> {
  const singleRow = await singleRowInserts(await createRefCoupon(pg, BIG_LIMIT, "single-row inserts"), rows, inFlight);
  const lockCoupon = await createRefCoupon(pg, BIG_LIMIT, "lock serial ceiling");
  const lockSerial = await lockSerialCeiling(pg, redis, lockCoupon, LOCK_CEILING_SECONDS);
  return { singleRow, lockSerial };
}
