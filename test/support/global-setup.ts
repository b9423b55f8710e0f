import { Client } from "pg";
import { Redis } from "ioredis";

/** Fails the run at once, with one clear line, if PostgreSQL or Redis is not running. */
export default async function globalSetup(): Promise<void> {
  const pgUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const pg = new Client({ connectionString: pgUrl, connectionTimeoutMillis: 3_000 });
  try {
    await pg.connect();
  } catch (err) {
    throw new Error(`Tests need PostgreSQL at ${pgUrl}: ${(err as Error).message}`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Tests need Redis at ${redisUrl}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
