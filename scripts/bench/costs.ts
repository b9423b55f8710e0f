/**
 * What a phase cost the shared parts, per request. Each figure comes from a
 * counter read before and after the phase:
 * - Redis commands: INFO commandstats on the bench's own redis-server, which
 *   counts the commands a script runs inside Redis as well as the script call;
 * - Redis round trips: commands the service's clients sent
 *   (coupon_redis_commands_total on its /metrics; a script call is one);
 * - SQL statements and transactions the service's pool sent and made
 *   (coupon_db_statements_total, coupon_db_transactions_total: transactions as
 *   pg_stat_database counts them, which is no use itself here, as a backend
 *   publishes its counts there seconds, or only at disconnect, later);
 * - the service's CPU time (process_cpu_seconds_total, every worker summed).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Client } from "pg";

/** Requests in flight when the driver stopped are still being answered: let them finish inside the window. */
const IN_FLIGHT_GRACE_MS = 250;

export interface CostCounters {
  redisCommands: number;
  redisRoundTrips: number;
  pgStatements: number;
  pgTransactions: number;
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
    pgTransactions: d("pgTransactions"),
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

/**
 * `redis` is a client of the bench's own redis-server, which only the
 * bench's service uses. A scrape of /metrics sends Redis commands of its own
 * (queue depths), so Redis is read inside the scrapes: after opening, before
 * closing.
 */
export class CostMeter {
  constructor(private readonly parts: { redis: Redis; pg: Client; metricsUrl: string }) {}

  async open(): Promise<CostCounters> {
    const service = await this.service();
    return { ...service, redisCommands: await this.redisCalls(), checkpoints: await this.checkpoints() };
  }

  async close(): Promise<CostCounters> {
    await sleep(IN_FLIGHT_GRACE_MS);
    const redisCommands = await this.redisCalls();
    return { ...(await this.service()), redisCommands, checkpoints: await this.checkpoints() };
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
      pgTransactions: metricSum(text, "coupon_db_transactions_total"),
      cpuSeconds: metricSum(text, "process_cpu_seconds_total"),
    };
  }

  private async checkpoints(): Promise<number> {
    const { rows } = await this.parts.pg.query<{ n: string }>(`SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter`);
    return Number(rows[0]!.n);
  }
}
