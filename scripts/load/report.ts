import { writeFileSync } from "node:fs";
import type { LoadOptions } from "./args";
import type { CheckResult } from "./checker";
import type { DriveFigures } from "./drive";

export interface LoadReport {
  ok: boolean;
  strategy: string;
  couponId: number;
  options: LoadOptions;
  run: DriveFigures;
  /** Answers by "status CODE". */
  answers: Record<string, number>;
  /** 202s still unresolved when the settle deadline passed. */
  unsettled: number;
  settleSeconds: number;
  figures: CheckResult["figures"];
  checks: CheckResult["checks"];
  violations: CheckResult["violations"];
  totalSeconds: number;
}

const fmt = (v: number | string | null) => (v === null ? "n/a" : typeof v === "number" ? v.toLocaleString("en-US") : v);

const FIGURE_LABELS: Record<string, string> = {
  quantity: "coupon limit N",
  usersSent: "users who sent a request",
  usersAnswered: "users who got an answer",
  expectedIssued: "expected issued = min(N, users)",
  rows: "UserCoupon rows (PostgreSQL)",
  holders: "distinct holders",
  issuedCount: "Coupon.issuedCount",
  redisAdmitted: "Redis admitted set (SCARD)",
  usersToldIssued: "users told ISSUED",
  usersPending: "users answered 202 PENDING",
  answers5xx: "5xx answers",
  answers503: "  of which 503",
  transportErrors: "timeouts / connection errors",
};

/** The verdict as a terminal table: run figures, ledger figures, then PASS/FAIL per check. */
export function printVerdict(r: LoadReport): void {
  const o = r.options;
  const bound = o.requests !== undefined ? `${fmt(o.requests)} requests` : `${o.durationSeconds} s`;
  const target = o.url ?? `${o.processes} process${o.processes > 1 ? "es" : ""}`;
  const lines = [
    `Load run: strategy ${r.strategy}, coupon ${r.couponId}, N=${fmt(o.quantity)}, ${fmt(o.users)} users, ` +
      `${o.connections} connections, ${bound}, ${target}, seed ${o.seed}`,
    `  throughput ${fmt(r.run.throughputRps)} req/s   latency p50 ${r.run.latencyP50Ms} ms, p99 ${r.run.latencyP99Ms} ms   ` +
      `load ${r.run.durationSeconds.toFixed(2)} s, total ${r.totalSeconds.toFixed(2)} s`,
    `  sent ${fmt(r.run.sent)}, answered ${fmt(r.run.answered)}: ` +
      Object.entries(r.answers)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(" · "),
    "",
  ];
  const w = Math.max(...Object.values(FIGURE_LABELS).map((l) => l.length));
  for (const [key, value] of Object.entries(r.figures)) {
    lines.push(`  ${(FIGURE_LABELS[key] ?? key).padEnd(w)}  ${fmt(value)}`);
  }
  if (r.unsettled > 0) lines.push(`  ${"202s unresolved at deadline".padEnd(w)}  ${r.unsettled} (after ${r.settleSeconds} s)`);
  lines.push("");
  const cw = Math.max(...r.checks.map((c) => c.label.length));
  for (const c of r.checks) lines.push(`  ${c.label.padEnd(cw)}  ${c.ok ? "PASS" : "FAIL"}  ${c.detail}`);
  lines.push("");
  lines.push(
    r.ok ? "VERDICT: PASS — exactly the right coupons were issued" : `VERDICT: FAIL — ${r.violations.length} violation(s): ${r.violations.map((v) => v.code).join(", ")}`,
  );
  console.log(lines.join("\n"));
}

export function writeJson(file: string, r: LoadReport): void {
  writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
}
