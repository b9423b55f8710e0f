/**
 * Many coupons selling at once, next to one coupon, on the same service in
 * the same run: C coupons of Q places each, every request for a coupon
 * drawn at random, against one coupon of C×Q places. Each sale is warmed up,
 * then driven for a fixed duration by distinct users; it reports rows per
 * second and PostgreSQL commits per row (the xact_commit delta of the
 * service's own database, read-only transactions included, next to the
 * service's own count of the transactions it made). Group commit
 * that batches per coupon pays a commit per row here; batching across
 * coupons should not.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "pg";
import type { StrategyName } from "../../src/issuance/strategy-names";
import { createCoupon } from "../load/api";
import { prng, Recorder } from "../load/recorder";
import type { RunningService } from "../load/service";
import { metricSum } from "./costs";
import { timedRun, type RunFigures } from "./http-runs";
import { num, pct, type Table } from "./table";

const WARM_UP_SECONDS = 2;
/**
 * A backend that is idle reports its transaction counts up to 10 s late
 * (PostgreSQL flushes statistics at most once a second, and an idle
 * backend's pending ones after 10 s), so counters are read after this.
 */
const STATS_SETTLE_MS = 11_000;
/** Rows that stop growing for this long: queued work, if any, is written. */
const ROWS_STABLE_MS = 1_000;
const MAX_DRAIN_MS = 60_000;
const CREATE_IN_FLIGHT = 20;
const CREATE_ATTEMPTS = 5;
/** Users per sale: far more than a run can draw, so every request is a new shopper. */
const USERS = 4_000_000;

/** What the issue (#11) asks of many coupons: this share of one coupon's rate, at most this many commits per row. */
export const MANY_COUPONS_TARGETS = { minRateRatio: 0.8, maxCommitsPerRow: 0.1 } as const;

export interface ManyCouponsPlan {
  service: RunningService;
  pg: Client;
  strategy: StrategyName;
  coupons: number;
  quantity: number;
  connections: number;
  durationSeconds: number;
  /** Pairs of sales (one coupon, then many), each on fresh coupons. */
  repeats: number;
  seed: number;
}

export interface SaleFigures {
  coupons: number;
  quantityEach: number;
  /** Rows written from the start of the timed run until they stopped growing. */
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  commits: number;
  commitsPerRow: number;
  /**
   * The same transactions as the service counts them itself
   * (coupon_db_transactions_total): a check on xact_commit, whose counts an
   * idle backend may publish late.
   */
  serviceTransactions: number;
  /** Coupons whose counter is not their row count, or past their limit (must be 0). */
  ledgerMismatches: number;
  http: RunFigures;
}

/** One coupon's sale, then many coupons' sale, right after each other. */
export interface SalePair {
  one: SaleFigures;
  many: SaleFigures;
  /** many.rowsPerSecond / one.rowsPerSecond */
  rateRatio: number;
}

export interface ManyCouponsResult {
  strategy: StrategyName;
  pairs: SalePair[];
  /** The median of the pairs' ratios: on a shared machine the load drifts between pairs, less within one. */
  rateRatio: number;
  /** Commits per row over every many-coupons sale. */
  commitsPerRow: number;
}

async function xactCommits(pg: Client): Promise<number> {
  await pg.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await pg.query<{ n: string }>(`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`);
  return Number(rows[0]!.n);
}

async function serviceTransactions(p: ManyCouponsPlan): Promise<number> {
  const res = await fetch(`${p.service.url}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  return metricSum(await res.text(), "coupon_db_transactions_total");
}

async function issuedRows(pg: Client, ids: readonly number[]): Promise<number> {
  const { rows } = await pg.query<{ n: string }>(`SELECT coalesce(sum("issuedCount"), 0) AS n FROM "Coupon" WHERE id = ANY($1)`, [ids]);
  return Number(rows[0]!.n);
}

async function ledgerMismatches(pg: Client, ids: readonly number[]): Promise<number> {
  const { rows } = await pg.query<{ n: string }>(
    `SELECT count(*) AS n FROM "Coupon" c
      WHERE c.id = ANY($1)
        AND (c."issuedCount" > c."totalQuantity"
             OR c."issuedCount" <> (SELECT count(*) FROM "UserCoupon" u WHERE u."couponId" = c.id))`,
    [ids],
  );
  return Number(rows[0]!.n);
}

/** Polls the rows until they stop growing (queued work written); returns when they last grew. */
async function rowsSettled(pg: Client, ids: readonly number[]): Promise<{ rows: number; at: number }> {
  const deadline = performance.now() + MAX_DRAIN_MS;
  let last = { rows: await issuedRows(pg, ids), at: performance.now() };
  while (performance.now() < deadline) {
    await sleep(100);
    const rows = await issuedRows(pg, ids);
    if (rows !== last.rows) last = { rows, at: performance.now() };
    else if (performance.now() - last.at >= ROWS_STABLE_MS) break;
  }
  return last;
}

/** A 503 (the service's database briefly out of connections on a shared machine) is tried again a few times. */
async function createOne(p: ManyCouponsPlan, quantity: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createCoupon(p.service.url, p.service.adminToken, p.strategy, quantity);
    } catch (err) {
      if (attempt >= CREATE_ATTEMPTS || !/ 503 /.test((err as Error).message)) throw err;
      await sleep(250 * attempt);
    }
  }
}

async function createCoupons(p: ManyCouponsPlan, count: number, quantity: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i += CREATE_IN_FLIGHT) {
    const n = Math.min(CREATE_IN_FLIGHT, count - i);
    ids.push(...(await Promise.all(Array.from({ length: n }, () => createOne(p, quantity)))));
  }
  return ids;
}

/** Warms the sale up (Redis state loaded, code optimised), then times it. */
async function sale(p: ManyCouponsPlan, ids: readonly number[], quantityEach: number, seed: number): Promise<SaleFigures> {
  const random = prng(seed);
  const couponId = ids.length === 1 ? ids[0]! : () => ids[Math.floor(random() * ids.length)]!;
  const plan = { url: p.service.url, couponId, users: USERS, connections: p.connections, seed };
  await timedRun({ ...plan, durationSeconds: WARM_UP_SECONDS, seed: seed + 1 });
  await sleep(STATS_SETTLE_MS);
  const [rows0, commits0, tx0] = [await issuedRows(p.pg, ids), await xactCommits(p.pg), await serviceTransactions(p)];
  const startedAt = performance.now();
  const http = await timedRun({ ...plan, durationSeconds: p.durationSeconds }, new Recorder());
  const settled = await rowsSettled(p.pg, ids);
  const tx = (await serviceTransactions(p)) - tx0;
  await sleep(STATS_SETTLE_MS);
  const commits = (await xactCommits(p.pg)) - commits0;
  const rows = settled.rows - rows0;
  const seconds = Math.max(p.durationSeconds, (settled.at - startedAt) / 1000);
  return {
    coupons: ids.length,
    quantityEach,
    rows,
    seconds,
    rowsPerSecond: Math.round(rows / seconds),
    commits,
    commitsPerRow: rows ? commits / rows : Infinity,
    serviceTransactions: tx,
    ledgerMismatches: await ledgerMismatches(p.pg, ids),
    http,
  };
}

/** Pairs of sales on the same service: one coupon of coupons×quantity places, then `coupons` coupons of `quantity`. */
export async function measureManyCoupons(p: ManyCouponsPlan, say: (line: string) => void): Promise<ManyCouponsResult> {
  const pairs: SalePair[] = [];
  for (let i = 0; i < p.repeats; i++) {
    const run = `${i + 1}/${p.repeats}`;
    say(`many coupons (${p.strategy}) ${run}: one coupon of ${num(p.coupons * p.quantity)}, warm-up ${WARM_UP_SECONDS} s, then ${p.durationSeconds} s`);
    const one = await sale(p, await createCoupons(p, 1, p.coupons * p.quantity), p.coupons * p.quantity, p.seed + 100 * i);
    say(`many coupons (${p.strategy}) ${run}: ${num(p.coupons)} coupons of ${num(p.quantity)} at once, warm-up ${WARM_UP_SECONDS} s, then ${p.durationSeconds} s`);
    const many = await sale(p, await createCoupons(p, p.coupons, p.quantity), p.quantity, p.seed + 100 * i + 7);
    pairs.push({ one, many, rateRatio: many.rowsPerSecond / Math.max(one.rowsPerSecond, 1) });
  }
  const ratios = pairs.map((x) => x.rateRatio).sort((a, b) => a - b);
  const sum = (f: (x: SalePair) => number) => pairs.reduce((a, x) => a + f(x), 0);
  return {
    strategy: p.strategy,
    pairs,
    rateRatio: ratios[Math.floor((ratios.length - 1) / 2)]!,
    commitsPerRow: sum((x) => x.many.commits) / Math.max(sum((x) => x.many.rows), 1),
  };
}

export function manyCouponsTable(r: ManyCouponsResult): Table {
  const { minRateRatio, maxCommitsPerRow } = MANY_COUPONS_TARGETS;
  const row = (name: string, s: SaleFigures, ratio: string) => [
    name,
    `${num(s.coupons)} × ${num(s.quantityEach)}`,
    num(s.rows),
    s.seconds.toFixed(1),
    num(s.rowsPerSecond),
    ratio,
    num(s.commits),
    s.rows ? s.commitsPerRow.toFixed(3) : "–",
    num(s.serviceTransactions),
    num(s.http.requestsPerSecond),
    s.http.p99Ms.toFixed(0),
    String(s.ledgerMismatches),
  ];
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
  const median = r.pairs.length > 1 ? " (median of the pairs)" : "";
  return {
    title:
      `Many coupons at once (${r.strategy}): rows/s ${pct(r.rateRatio)} of one coupon's${median}, target ≥ ${pct(minRateRatio)}: ${verdict(r.rateRatio >= minRateRatio)}; ` +
      `${r.commitsPerRow.toFixed(3)} commits per row, target ≤ ${maxCommitsPerRow}: ${verdict(r.commitsPerRow <= maxCommitsPerRow)}`,
    headers: ["sale", "coupons × places", "rows", "s", "rows/s", "vs one", "commits", "commits/row", "service's own tx count", "req/s", "p99 ms", "ledger mismatches"],
    numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    rows: r.pairs.flatMap((x, i) => {
      const n = r.pairs.length > 1 ? ` #${i + 1}` : "";
      return [row(`one coupon${n}`, x.one, ""), row(`many coupons${n}`, x.many, pct(x.rateRatio))];
    }),
  };
}
