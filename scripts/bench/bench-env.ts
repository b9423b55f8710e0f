/**
 * The benchmarks' own stores, so their coupons never mix with a real sale's
 * or a developer's, and what they count is theirs alone: a redis-server of
 * their own on a free port (INFO commandstats counts every client of a
 * server) and a database of their own. Deliberately not DATABASE_URL: an
 * engineer who exported it for their own service would otherwise have the
 * bench write thousands of rows into it. Set in the environment before
 * anything reads it: the service and reference children inherit it, and the
 * load modules read it too.
 */
import { Client } from "pg";
import { startRedisServer, type RedisServer } from "../support/redis-server";

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/coupons_bench";

/**
 * The service settings every bench shares. The drift check reads every live
 * coupon each pass, whatever the traffic: not a cost of requests, so kept
 * out (an hour apart, longer than any bench run). Shoppers name themselves;
 * what verifying their tokens costs is its own measure (jwt-cost.ts).
 */
export const BENCH_SERVICE_ENV = { DRIFT_CHECK_INTERVAL_MS: String(3_600_000), SHOPPER_AUTH: "none" } as const;

export interface BenchStores {
  redis: RedisServer;
  /** Whether the database is fresh, or reused and why. */
  note: string;
}

export async function useBenchStores(): Promise<BenchStores> {
  const redis = await startRedisServer();
  Object.assign(process.env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: "", DATABASE_URL: BENCH_DATABASE_URL });
  return { redis, note: await freshBenchDatabase() };
}

const databaseName = (databaseUrl: string) => decodeURIComponent(new URL(databaseUrl).pathname.slice(1));


/**
 * Drops the bench database so that every run starts from empty tables (the
 * service creates and migrates it again at start): the same index sizes run
 * to run, and no table bloat piling up (this PostgreSQL may run without
 * autovacuum). Only a database whose name ends in "_bench", and never one
 * in use (no FORCE): then it is reused, and the note says so. `databaseUrl`
 * names another bench database (bench:rebuild keeps its own).
 */
export async function freshBenchDatabase(databaseUrl = BENCH_DATABASE_URL): Promise<string> {
  const name = databaseName(databaseUrl);
  if (!/^[\w-]+_bench$/.test(name)) return `database ${name} reused (only *_bench databases are dropped)`;
  const admin = new Client({ connectionString: Object.assign(new URL(databaseUrl), { pathname: "/postgres" }).toString(), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    return `database ${name} fresh`;
  } catch (err) {
    return `database ${name} reused (${(err as Error).message})`;
  } finally {
    await admin.end();
  }
}
