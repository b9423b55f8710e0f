/**
 * One strategy on the shared service: an untimed warm-up sale, then the
 * issuing phase (a fresh coupon sold out by unique users) and the sold-out
 * phase (the same coupon, new and repeat users, fixed duration), each with
 * what it cost per request, then the load script's I1–I4 check of every
 * answer against the ledger.
 */
import { performance } from "node:perf_hooks";
import type { Client } from "pg";
import { createCoupon } from "../load/api";
import type { StrategyName } from "../../src/issuance/strategy-names";
import { check, hasUnanswered, toldIssued, toldWin, type AnswerSummary, type CheckResult } from "../load/checker";
import { drive } from "../load/drive";
import { readLedger } from "../load/inspect";
import { Recorder } from "../load/recorder";
import type { RunningService } from "../load/service";
import { settlePending } from "../load/settle";
import { costsBetween, type CostMeter, type PhaseCosts } from "./costs";
import { timedRun, toRunFigures, type RunFigures } from "./http-runs";
import { waitForIssuedCount } from "./issued-count";
import type { JwtCost } from "./jwt-cost";
import type { QueueDrain } from "./queue-drain";

const WARM_UP_QUANTITY = 1_000;
/** Bounds an issuing phase that never sells out (a broken strategy must not hang the bench). */
const MAX_ISSUE_SECONDS = 60;
/** Sold-out answers and no new winner for this long: the sale is over short of Q (an under-issue). */
const STALL_MS = 2_000;
const SETTLE_MS = 60_000;

export interface IssuingFigures {
  /** Q / seconds from the first request until the last row was persisted. */
  rowsPerSecond: number;
  seconds: number;
  /** 201s plus 202s: winners as answered. */
  winners: number;
  http: RunFigures;
}

export interface StrategyResult {
  strategy: StrategyName;
  couponId: number;
  /** The untimed warm-up sale's coupon, so the bench can clean its Redis keys too. */
  warmUpCouponId: number;
  quantity: number;
  issuing: IssuingFigures;
  soldOut: RunFigures;
  ledger: { rows: number; counter: number; redisCount: number | null };
  /** I4 both ways, counted with the checker's own predicates. */
  mismatches: { issuedWithoutRow: number; rowWithoutWin: number };
  check: Pick<CheckResult, "ok" | "figures" | "violations">;
  /** Answers that are neither 2xx nor 409, plus transport errors, across both phases. */
  errors: number;
  /** What each phase cost Redis, PostgreSQL and the service's CPU (costs.ts), with its checkpoints. */
  costs: { issuing: PhaseCosts; soldOut: PhaseCosts };
  /** 202s still PENDING when settling gave up. */
  unsettled: number;
  /**
   * Bare Express driven the same way right after this strategy's sold-out
   * phase: on a shared machine the baseline drifts within a run, and the
   * sold-out targets compare against the baseline next to them.
   */
  adjacentExpress: RunFigures;
  /** The sold-out crowd again, without and with verified shopper tokens (jwt-cost.ts); one strategy per run. */
  jwt?: JwtCost;
  /** queue only: the drain alone, workers held back during admission (queue-drain.ts); the median run, and all runs. */
  drain?: QueueDrain;
  drainRuns?: QueueDrain[];
}

export interface StrategyPlan {
  service: RunningService;
  pg: Client;
  strategy: StrategyName;
  quantity: number;
  connections: number;
  durationSeconds: number;
  seed: number;
  meter: CostMeter;
  /** Drives bare Express, for the baseline next to the sold-out phase. */
  driveExpress: () => Promise<RunFigures>;
}

/** How many users the checker's I4 checks would name (it reports samples, the table wants counts). */
function mismatches(answers: ReadonlyMap<string, AnswerSummary>, rows: readonly string[]) {
  const holders = new Set(rows);
  let issuedWithoutRow = 0;
  for (const [id, a] of answers) if (toldIssued(a) && !holders.has(id)) issuedWithoutRow++;
  let rowWithoutWin = 0;
  for (const id of holders) {
    const a = answers.get(id);
    if (!a || !(toldWin(a) || hasUnanswered(a))) rowWithoutWin++;
  }
  return { issuedWithoutRow, rowWithoutWin };
}

const winners = (r: Recorder) => (r.statusCounts["201 ISSUED"] ?? 0) + (r.statusCounts["202 PENDING"] ?? 0);
const soldOuts = (r: Recorder) => r.statusCounts["409 SOLD_OUT"] ?? 0;

/** Sells a fresh coupon of `quantity` to unique users; returns when the last row is in PostgreSQL. */
async function sell(p: StrategyPlan, couponId: number, quantity: number, recorder: Recorder, seed: number) {
  let seen = 0;
  let lastWinAt = performance.now();
  const stopWhen = () => {
    const w = winners(recorder);
    if (w > seen) [seen, lastWinAt] = [w, performance.now()];
    return w >= quantity || (soldOuts(recorder) > 0 && performance.now() - lastWinAt > STALL_MS);
  };
  // 3×Q users: the first 3×Q draws are all distinct, room enough for 503s that cost a draw.
  // Warm connections: the sale starts once all of them are open, as at a sale's announced start.
  const figures = await drive(
    { url: p.service.url, couponId, users: quantity * 3, connections: p.connections, durationSeconds: MAX_ISSUE_SECONDS, seed, stopWhen, warmConnections: true },
    recorder,
  );
  // 201 means the row is committed; a 202 only that it is queued, so the queue is timed to its last row.
  const doneAt = p.strategy === "queue" ? await waitForIssuedCount(p.pg, couponId, seen, SETTLE_MS) : lastWinAt;
  return { figures, seconds: (doneAt - figures.startedAt) / 1000, winners: seen };
}

export async function runStrategy(p: StrategyPlan): Promise<StrategyResult> {
  const { url, adminToken } = p.service;
  const warmUp = await createCoupon(url, adminToken, p.strategy, Math.min(WARM_UP_QUANTITY, p.quantity));
  await sell(p, warmUp, Math.min(WARM_UP_QUANTITY, p.quantity), new Recorder(), p.seed + 2000);

  const couponId = await createCoupon(url, adminToken, p.strategy, p.quantity);
  const recorder = new Recorder();
  const before = await p.meter.open();
  const sale = await sell(p, couponId, p.quantity, recorder, p.seed);
  const issuingCosts = costsBetween(before, await p.meter.close(), sale.figures.sent);
  const issuingCounts = { ...recorder.statusCounts };
  const soldOutFrom = await p.meter.open();
  // 4×Q users from another seed: about a quarter hold the coupon already (repeats), the rest are new.
  const soldOut = await timedRun(
    { url, couponId, users: p.quantity * 4, connections: p.connections, durationSeconds: p.durationSeconds, seed: p.seed + 1 },
    recorder,
  );
  const soldOutTo = await p.meter.close();
  const adjacentExpress = await p.driveExpress();

  const unsettled = recorder.pendingUsers().length ? await settlePending(url, couponId, recorder, SETTLE_MS) : 0;
  const ledger = await readLedger(couponId, p.strategy !== "postgres");
  const transportErrors = sale.figures.transportErrors + soldOut.transportErrors;
  const verdict = check({ quantity: p.quantity, answers: recorder.answers, ...ledger, statusCounts: recorder.statusCounts, transportErrors });
  const errors =
    transportErrors +
    Object.entries(recorder.statusCounts)
      .filter(([k]) => !/^(2\d\d|409)\b/.test(k))
      .reduce((sum, [, n]) => sum + n, 0);
  return {
    strategy: p.strategy,
    couponId,
    quantity: p.quantity,
    issuing: {
      rowsPerSecond: Math.round(sale.winners / sale.seconds),
      seconds: sale.seconds,
      winners: sale.winners,
      http: toRunFigures(sale.figures, issuingCounts),
    },
    soldOut,
    ledger: { rows: ledger.rows.length, counter: ledger.counter, redisCount: ledger.redisCount },
    mismatches: mismatches(recorder.answers, ledger.rows),
    check: { ok: verdict.ok, figures: verdict.figures, violations: verdict.violations },
    errors,
    costs: { issuing: issuingCosts, soldOut: costsBetween(soldOutFrom, soldOutTo, soldOut.sent) },
    adjacentExpress,
    unsettled,
    warmUpCouponId: warmUp,
  };
}
