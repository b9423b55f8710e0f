/**
 * What a phase cost the shared parts, per request. Each figure comes from a
 * counter read before and after the phase:
 * - Redis commands: INFO commandstats on the bench's own redis-server, which
 *   counts the commands a script runs inside Redis as well as the script call;
 * - Redis round trips: commands the service's clients sent
 *   (coupon_redis_commands_total on its /metrics; a script call is one);
 * - SQL statements the service sent (coupon_db_statements_total);
 * - transactions: xact_commit + xact_rollback of the bench database in
 *   pg_stat_database, less the bench's own statements in the window;
 * - the service's CPU time (process_cpu_seconds_total, every worker summed).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Client } from "pg";

/**
 * PostgreSQL 15 backends publish their counters to pg_stat_database at most
 * once a second while busy, and 10 s after going idle (measured here: a
 * backend idle after 300 transactions showed them 10 s later). A reading taken
 * sooner would hand part of one phase to the next.
 */
export const PG_STATS_DELAY_MS = 11_000;
/** Requests in flight when the driver stopped are still being answered: let them finish inside the window. */
const IN_FLIGHT_GRACE_MS = 250;

export interface CostCounters {
  redisCommands: number;
  redisRoundTrips: number;
  pgStatements: number;
  pgTransactions: number;
  /** Statements the bench itself ran on the bench database; each is one transaction of its own. */
  benchStatements: number;
  cpuSeconds: number;
  /** PostgreSQL checkpoints: a commit can stall behind one, so a latency spike in such a phase may be the machine's. */
  checkpoints: number;
}

interface Costs { redisCommands: number; redisRoundTrips: number; pgStatements: number; pgTransactions: number; cpuMs: number }

export interface PhaseCosts {
  requests: number;
  /** The whole phase's: "1 statement in 30,000 requests" reads better than 0.000. */
  totals: Costs;
  perRequest: Costs;
  checkpoints: number;
}

/** The opening reading's INFO is counted by the closing one (an INFO does not count itself). */
const OWN_INFO_CALLS = 1;

export function costsBetween(before: CostCounters, after: CostCounters, requests: number): PhaseCosts {
  const d = (k: keyof CostCounters) => after[k] - before[k];
  const totals: Costs = {
    redisCommands: d("redisCommands") - OWN_INFO_CALLS,
    redisRoundTrips: d("redisRoundTrips"),
    pgStatements: d("pgStatements"),
    pgTransactions: d("pgTransactions") - d("benchStatements"),
    cpuMs: d("cpuSeconds") * 1000,
  };
  const perRequest = Object.fromEntries(Object.entries(totals).map(([k, n]) => [k, requests > 0 ? n / requests : 0])) as unknown as Costs;
  return { requests, totals, perRequest, checkpoints: d("checkpoints") };
}

/** The sum of every sample of `name` in a Prometheus text exposition (0 if absent). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, "gm"))) sum += Number(m[1]);
  return sum;
}

export interface MeterParts {
  /** A client of the bench's own redis-server, which only the bench's service uses. */
  redis: Redis;
  /** A connection to another database than the bench's, so reading the counters adds no transactions to them. */
  stats: Client;
  database: string;
  metricsUrl: string;
  benchStatements: () => number;
}

/**
 * Readings are ordered so that none lands in another's window: PostgreSQL,
 * then the service's /metrics (a scrape sends Redis commands of its own),
 * then Redis when opening; the reverse when closing.
 */
export class CostMeter {
  constructor(private readonly parts: MeterParts) {}

  async open(): Promise<CostCounters> {
    const pg = await this.pg();
    const service = await this.service();
    return { ...pg, ...service, redisCommands: await this.redisCalls() };
  }

  /** Waits for requests in flight and for PostgreSQL to publish its counters. */
  async close(): Promise<CostCounters> {
    await sleep(IN_FLIGHT_GRACE_MS);
    const redisCommands = await this.redisCalls();
    const service = await this.service();
    await sleep(PG_STATS_DELAY_MS);
    return { ...(await this.pg()), ...service, redisCommands };
  }

  private async redisCalls(): Promise<number> {
    const text = await this.parts.redis.info("commandstats");
    return [...text.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  }

  private async service() {
    const res = await fetch(this.parts.metricsUrl);
    if (!res.ok) throw new Error(`GET ${this.parts.metricsUrl}: ${res.status}`);
    const text = await res.text();
    return {
      redisRoundTrips: metricSum(text, "coupon_redis_commands_total"),
      pgStatements: metricSum(text, "coupon_db_statements_total"),
      cpuSeconds: metricSum(text, "process_cpu_seconds_total"),
    };
  }

  private async pg() {
    const benchStatements = this.parts.benchStatements();
    const { rows } = await this.parts.stats.query<{ xacts: string; checkpoints: string }>(
      `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1) AS xacts,
              (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) AS checkpoints`,
      [this.parts.database],
    );
    return { pgTransactions: Number(rows[0]!.xacts), checkpoints: Number(rows[0]!.checkpoints), benchStatements };
  }
}
