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
  /**
   * A few connections for long streaming reads (CSV exports). Apart from
   * `pool`, so an export can never take a shopper's connection, and without
   * its 5 s limits: a million-row COPY to a slow client takes longer.
   */
  readonly exportPool: Pool;
  close(): Promise<void>;
}

/** The longest one export may run, a slow reader included (the README says so). */
export const EXPORT_STATEMENT_TIMEOUT_MS = 10 * 60_000;

/**
 * One pg pool shared by Prisma's driver adapter and the ledger. Timeouts are
 * short so that a PostgreSQL outage becomes a fast 503, not a pile of
 * requests waiting on connections that will never come.
 */
export function createDatabase(config: Pick<Config, "databaseUrl" | "dbPoolSize" | "exportConnections">, counts?: WorkCounts): Database {
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
  const exportPool = new Pool({
    connectionString: config.databaseUrl,
    max: config.exportConnections,
    // All export connections busy: answer 503 BUSY at once rather than queue behind them.
    connectionTimeoutMillis: 1_000,
    idleTimeoutMillis: 10_000,
    statement_timeout: EXPORT_STATEMENT_TIMEOUT_MS,
    keepAlive: true,
  });
  exportPool.on("error", () => undefined);
  if (counts) for (const p of [pool, exportPool]) p.on("connect", (client) => countWork(client, counts));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closing: Promise<void> | undefined;
  return {
    prisma,
    pool,
    exportPool,
    close: () => (closing ??= prisma.$disconnect().then(() => Promise.all([pool.end(), exportPool.end()])).then(() => undefined)),
  };
}
