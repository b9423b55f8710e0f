import type { Redis } from "ioredis";
import type { TestEnv } from "./test-env";

/**
 * Everything a request could change, to show that a refused one changed
 * nothing: PostgreSQL's whole coupon rows (sale state and version, window,
 * names, limits, counters, updatedAt), the counts of rows, rejections and
 * audit entries, and every Redis key of the env's prefix with its value.
 */
export async function storeSnapshot(env: TestEnv, redis: Redis) {
  const [pg] = await env.sql(
    `SELECT (SELECT count(*) FROM "UserCoupon") AS rows, (SELECT count(*) FROM "Rejection") AS rejections,
            (SELECT count(*) FROM "AuditEntry") AS audit,
            (SELECT string_agg(c::text, E'\\n' ORDER BY id) FROM "Coupon" c) AS coupon_rows`,
  );
  const keys = (await redis.keys(`${env.config.redisKeyPrefix}*`)).sort();
  return { pg, keys, values: await Promise.all(keys.map((k) => redis.dump(k))) };
}
