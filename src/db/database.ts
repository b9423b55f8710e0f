import { PrismaPg } from "@prisma/adapter-pg";
import { Pool } from "pg";
import type { Config } from "../config";
import { countWork, type WorkCounts } from "./count-work";
import { PrismaClient } from "./generated/client";

export interface Database {
  /** Operator-side reads and writes go through Prisma. */
  readonly prisma: PrismaClient;
  /** The same pool, for the few hot-path statements in ledger.ts. */
  readonly pool: Pool;
  close(): Promise<void>;
}

/**
 * One pg pool shared by Prisma's driver adapter and the ledger. Timeouts are
 * short so that a PostgreSQL outage becomes a fast 503, not a pile of
 * requests waiting on connections that will never come.
 */
export function createDatabase(config: Pick<Config, "databaseUrl" | "dbPoolSize">, counts?: WorkCounts): Database {
  const pool = new Pool({
    connectionString: config.databaseUrl,
    max: config.dbPoolSize,
    connectionTimeoutMillis: 1_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 5_000,
    statement_timeout: 5_000,
    keepAlive: true,
  });
  // An idle client losing its connection is reported here; the pool drops it.
  pool.on("error", () => undefined);
  if (counts) pool.on("connect", (client) => countWork(client, counts));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closing: Promise<void> | undefined;
  return {
    prisma,
    pool,
    close: () => (closing ??= prisma.$disconnect().then(() => pool.end())),
  };
}
