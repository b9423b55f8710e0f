/**
 * The benchmarks' own database and Redis key prefix, so their coupons never
 * mix with a real sale's or a developer's. Deliberately not DATABASE_URL /
 * REDIS_KEY_PREFIX: an engineer who exported those for their own service
 * would otherwise have the bench write thousands of rows into it. Set before
 * anything reads them: the service and reference children inherit the
 * environment, and the load modules read it too.
 */
import { Redis } from "ioredis";
import { Client } from "pg";
import { redisUrl } from "../load/inspect";
import { dropPrefixKeys } from "./cleanup";

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/coupons_bench";
export const BENCH_KEY_PREFIX = process.env.BENCH_REDIS_KEY_PREFIX ?? "bench:";

export function useBenchStores(): void {
  process.env.DATABASE_URL = BENCH_DATABASE_URL;
  process.env.REDIS_KEY_PREFIX = BENCH_KEY_PREFIX;
}

/**
 * Drops the bench database so that every run starts from empty tables (the
 * service creates and migrates it again at start): the same index sizes run
 * to run, and no table bloat piling up (this PostgreSQL may run without
 * autovacuum). Only a database whose name ends in "_bench", and never one
 * in use (no FORCE): then it is reused, and the note says so. `databaseUrl`
 * and `keyPrefix` name another bench's own (bench:rebuild, bench:many).
 */
export async function freshBenchDatabase(databaseUrl = BENCH_DATABASE_URL, keyPrefix = BENCH_KEY_PREFIX): Promise<string> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[\w-]+_bench$/.test(name)) return `database ${name} reused (only *_bench databases are dropped)`;
  url.pathname = "/postgres";
  const admin = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  } catch (err) {
    return `database ${name} reused (${(err as Error).message})`;
  } finally {
    await admin.end();
  }
  // Coupon ids restart at 1 in the new database: the old ones' Redis keys must go too.
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    await dropPrefixKeys(redis, keyPrefix);
  } finally {
    redis.disconnect();
  }
  return `database ${name} fresh`;
}
