import { Client } from "pg";
import { Redis } from "ioredis";
import { loadConfig } from "../../src/config";
import { couponKeys } from "../../src/coupon-store/keys";

export interface LedgerState {
  rows: string[];
  counter: number;
  /** null when the strategy keeps no Redis state (postgres). */
  redisCount: number | null;
}

/** The environment read as the service reads it, defaults included, so both look at the same stores. */
export const databaseUrl = () => loadConfig().databaseUrl;
export const redisUrl = () => loadConfig().redisUrl;

/**
 * Reads the ground truth straight from the stores rather than through the
 * API, so a bug in the service's read path cannot hide a bad ledger.
 */
export async function readLedger(couponId: number, withRedis: boolean): Promise<LedgerState> {
  const pg = new Client({ connectionString: databaseUrl(), connectionTimeoutMillis: 5_000 });
  await pg.connect();
  let rows: string[];
  let counter: number;
  try {
    const r = await pg.query<{ userId: string }>(`SELECT "userId"::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1`, [couponId]);
    rows = r.rows.map((row) => row.userId);
    const c = await pg.query<{ issuedCount: number }>(`SELECT "issuedCount" FROM "Coupon" WHERE id = $1`, [couponId]);
    if (c.rows.length !== 1) throw new Error(`coupon ${couponId} is not in ${redact(databaseUrl())}`);
    counter = c.rows[0]!.issuedCount;
  } finally {
    await pg.end();
  }
  if (!withRedis) return { rows, counter, redisCount: null };

  const redis = new Redis(redisUrl(), { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return { rows, counter, redisCount: await redis.scard(loadConfig().redisKeyPrefix + couponKeys(couponId).issued) };
  } finally {
    redis.disconnect();
  }
}

const redact = (url: string) => url.replace(/\/\/[^@/]*@/, "//");
