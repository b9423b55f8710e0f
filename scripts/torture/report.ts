import { writeFileSync } from "node:fs";
import { num, renderTable, type Table } from "../bench/table";
import type { TortureOptions } from "./args";
import { CLOCK_EPOCH_ISO } from "./clock";
import type { StrategyRun } from "./run-strategy";
import type { FaultRecord } from "./types";

const sec = (ms: number) => (ms / 1000).toFixed(2);

/** The fault timeline: a count per kind, then one line per fault (times from the start of the crowd). */
export function timelineText(run: StrategyRun): string {
  const byKind = new Map<string, number>();
  for (const f of run.timeline) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const counts = [...byKind].map(([k, n]) => `${k} ×${n}`).join(", ") || "none";
  const table: Table = {
    title: `Faults: ${run.timeline.length} injected (${counts})`,
    headers: ["#", "kind", "start s", "end s", "lasted s", "detail", "answered during"],
    numeric: [0, 2, 3, 4, 6],
    rows: run.timeline.map((f, i) => [
      String(i + 1),
      f.kind,
      sec(f.start - run.crowd.start),
      sec(f.end - run.crowd.start),
      sec(f.end - f.start),
      faultDetail(f),
      num(run.records.filter((r) => r.status !== 0 && r.answeredAt >= f.start && r.answeredAt <= f.end).length),
    ]),
  };
  return renderTable(table);
}

function faultDetail(f: FaultRecord): string {
  if (f.kind === "kill") return `api process ${f.process}, restarted`;
  if (f.kind === "latency") return `replies +${f.delayMs} ms`;
  if (f.kind === "stall") return "redis SIGSTOP/SIGCONT";
  if (f.kind === "pg-cut") return "PostgreSQL proxy cut";
  return "FLUSHALL";
}

/** Everything about one strategy's run that a reader needs to judge it, verdict last. */
export function strategyText(run: StrategyRun, options: TortureOptions): string {
  const v = run.verdict;
  const answers = Object.entries(v.answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${num(n)}`)
    .join(" · ");
  const lat = v.latency;
  const lines = [
    `=== ${run.strategy}: coupon ${run.couponId}, N = ${num(run.quantity)}, users 1..${num(run.poolSize)}, ` +
      `${options.durationSeconds} s crowd, ${options.processes} processes, seed ${options.seed} ===`,
    timelineText(run),
    "",
    `Requests: ${num(v.figures.requests)} (${num(v.figures.finalWaveRequests)} in the final wave` +
      `${run.finalWave.endedBySoldOut ? ", which ended SOLD_OUT" : ", which did NOT reach SOLD_OUT within its bounds"}), ` +
      `${num(v.figures.users)} users`,
    `Answers: ${answers}`,
    `503s: ${num(v.figures.answers503)}; no answer: ${num(v.figures.noAnswer)} ` +
      `(${num(v.figures.noAnswerKilled)} cut off by a kill, ${num(v.figures.noAnswerTimeout)} timed out)`,
    `Latency: healthy p50 ${lat.healthy.p50Ms} ms, p99 ${lat.healthy.p99Ms} ms (${num(lat.healthy.answers)} answers); ` +
      `during faults p50 ${lat.duringFaults.p50Ms} ms, p99 ${lat.duringFaults.p99Ms} ms (${num(lat.duringFaults.answers)} answers)`,
    `202 resolution: ` + Object.entries(v.resolutions).map(([k, n]) => `${k} ${num(n)}`).join(", "),
    "",
    renderTable({
      title: `Verdict ${run.strategy}: ${v.ok ? "PASS" : "FAIL"}`,
      headers: ["check", "result", "count", "examples (userId)", "detail"],
      numeric: [2],
      rows: [...v.checks, ...v.notes].map((c) => [
        c.label,
        c.ok ? (v.notes.includes(c) ? "note" : "PASS") : "FAIL",
        num(c.count),
        c.examples.join(", "),
        c.detail,
      ]),
    }),
  ];
  return lines.join("\n");
}

/** One line per strategy, for the end of a multi-strategy run. */
export function summaryText(runs: readonly StrategyRun[], seed: number): string {
  return renderTable({
    title: `Summary (seed ${seed})`,
    headers: ["strategy", "verdict", "violations", "rows / N", "faults"],
    numeric: [3],
    rows: runs.map((r) => [
      r.strategy,
      r.verdict.ok ? "PASS" : "FAIL",
      r.verdict.checks.filter((c) => !c.ok).map((c) => `${c.id} (${num(c.count)})`).join(", ") || "-",
      `${num(r.verdict.figures.rows)} / ${num(r.quantity)}`,
      String(r.timeline.length),
    ]),
  });
}

/** Field order of each request in the JSON report (an array per request keeps a 100k-request file small). */
const RECORD_FIELDS = ["userId", "process", "sentAt", "answeredAt", "status", "code", "phase", "error"] as const;

export interface JsonReport {
  ok: boolean;
  seed: number;
  options: TortureOptions;
  error?: string;
  runs: StrategyRun[];
}

export function writeJsonReport(file: string, report: JsonReport): void {
  const out = {
    ...report,
    /** Wall-clock time of 0 on the harness clock: every sentAt, answeredAt, start and end counts from it, in ms. */
    clockEpoch: CLOCK_EPOCH_ISO,
    violations: Object.fromEntries(report.runs.map((r) => [r.strategy, r.verdict.checks.filter((c) => !c.ok).length])),
    recordFields: RECORD_FIELDS,
    runs: report.runs.map((r) => ({
      ...r,
      records: r.records.map((x) => RECORD_FIELDS.map((f) => x[f] ?? null)),
      resolutions: Object.fromEntries(r.resolutions),
    })),
  };
  writeFileSync(file, JSON.stringify(out) + "\n");
}
