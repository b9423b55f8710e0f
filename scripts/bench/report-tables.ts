/** The bench's figures as tables: the terminal output and report.md show the same ones. */
import type { ReferenceFigures, RunFigures } from "./http-runs";
import { ms, num, pct, perRequest, type Table } from "./table";
import { phaseLabel, type BenchResults, type Phase } from "./targets";

const ERRORS_RE = /^(2\d\d|409)\b/;
const errorsOf = (f: RunFigures) =>
  f.transportErrors + Object.entries(f.statusCounts).filter(([k]) => !ERRORS_RE.test(k)).reduce((s, [, n]) => s + n, 0);

/** The main comparison: stable on a noisy machine where req/s is not. */
export function costTable(r: BenchResults): Table {
  const rows = r.strategies.flatMap((s) =>
    (["issuing", "soldOut"] as Phase[]).map((phase) => {
      const c = s.costs[phase];
      const p = c.perRequest;
      return [s.strategy, phaseLabel(phase), num(c.requests), ...[p.redisCommands, p.redisRoundTrips, p.pgStatements, p.pgTransactions, p.cpuMs].map(perRequest), String(c.checkpoints)];
    }),
  );
  return {
    title: "Cost per request: what each request cost the shared parts (issuing includes the queue's writes until its last row)",
    headers: ["strategy", "phase", "requests", "Redis commands", "Redis round trips", "PG statements", "PG transactions", "service CPU ms", "PG ckpt"],
    numeric: [2, 3, 4, 5, 6, 7, 8],
    rows,
  };
}

export function throughputTable(r: BenchResults): Table {
  const { nodeHttp, express, serviceNoop } = r.references;
  const rel = (rps: number) => [pct(rps / express.requestsPerSecond), pct(rps / nodeHttp.requestsPerSecond)];
  const ref = (label: string, f: RunFigures) => [label, "reference", num(f.requestsPerSecond), "req/s", ms(f.p50Ms), ms(f.p99Ms), ...rel(f.requestsPerSecond), num(errorsOf(f))];
  const rows = [
    ref("node:http no-op", nodeHttp),
    ref("bare Express 5 no-op", express),
    ref("service POST /bench/noop", serviceNoop),
  ];
  for (const s of r.strategies) {
    const i = s.issuing;
    rows.push([s.strategy, "issuing", num(i.rowsPerSecond), "rows/s", ms(i.http.p50Ms), ms(i.http.p99Ms), "", "", num(errorsOf(i.http))]);
    if (s.drain) rows.push([s.strategy, "drain (held)", num(s.drain.rowsPerSecond), "rows/s", "", "", "", "", ""]);
    const so = s.soldOut;
    // % Express of a sold-out phase: against the bare-Express run right after it (the next row).
    const adj = s.adjacentExpress;
    rows.push([s.strategy, "sold out", num(so.requestsPerSecond), "req/s", ms(so.p50Ms), ms(so.p99Ms), pct(so.requestsPerSecond / adj.requestsPerSecond), pct(so.requestsPerSecond / nodeHttp.requestsPerSecond), num(errorsOf(so))]);
    rows.push(["bare Express, right after", "reference", num(adj.requestsPerSecond), "req/s", ms(adj.p50Ms), ms(adj.p99Ms), "100%", "", num(errorsOf(adj))]);
    if (s.jwt) {
      const jwtRow = (label: string, f: RunFigures) => [label, "sold out", num(f.requestsPerSecond), "req/s", ms(f.p50Ms), ms(f.p99Ms), "", pct(f.requestsPerSecond / nodeHttp.requestsPerSecond), num(errorsOf(f))];
      rows.push(jwtRow(`${s.strategy}, SHOPPER_AUTH=none (runs 1, 4)`, s.jwt.withoutJwt), jwtRow(`${s.strategy}, SHOPPER_AUTH=jwt (runs 2, 3)`, s.jwt.withJwt));
    }
  }
  return {
    title: `Throughput and latency (${r.options.connections} connections, ${r.options.durationSeconds} s fixed runs, Q=${num(r.options.quantity)})`,
    headers: ["run", "phase", "throughput", "unit", "p50 ms", "p99 ms", "% Express", "% node:http", "errors"],
    numeric: [2, 4, 5, 6, 7, 8],
    rows,
  };
}

/** The references' passes, so drift across the run (a noisy machine) is visible next to the means used as baselines. */
export function referencePassesTable(r: BenchResults): Table {
  const row = (label: string, f: ReferenceFigures) => [label, ...f.passes.flatMap((p) => [num(p.requestsPerSecond), ms(p.p99Ms)]), pct(Math.min(...f.passes.map((p) => p.requestsPerSecond)) / Math.max(...f.passes.map((p) => p.requestsPerSecond)))];
  return {
    title: "Reference passes (start of the run, end of the run; the table above uses their mean)",
    headers: ["reference", "start req/s", "start p99 ms", "end req/s", "end p99 ms", "min/max"],
    numeric: [1, 2, 3, 4, 5],
    rows: [row("node:http no-op", r.references.nodeHttp), row("bare Express 5 no-op", r.references.express), row("service POST /bench/noop", r.references.serviceNoop)],
  };
}

export function pgReferenceTable(r: BenchResults): Table {
  const { singleRow, multiRow, lockSerial } = r.pgReferences;
  return {
    title: "Issuing references (PostgreSQL/Redis straight from the bench process, same tables)",
    headers: ["reference", "throughput", "unit", "count", "seconds"],
    numeric: [1, 3, 4],
    rows: [
      ["(i) single-row INSERTs, 200 in flight, pool of 20", num(singleRow.perSecond), "rows/s", num(singleRow.count), singleRow.seconds.toFixed(2)],
      ["(ii) 500-row multi-VALUES INSERTs, one at a time", num(multiRow.perSecond), "rows/s", num(multiRow.count), multiRow.seconds.toFixed(2)],
      ["(iii) lock serial ceiling: SET NX → 1-row tx → EVAL release", num(lockSerial.perSecond), "ops/s", num(lockSerial.count), lockSerial.seconds.toFixed(2)],
    ],
  };
}

export function correctnessTable(r: BenchResults): Table {
  return {
    title: "Correctness per strategy (PostgreSQL read after the run; answers checked by the load checker)",
    headers: ["strategy", "rows/limit", "over", "under", "told ISSUED, no row", "row, never told 201/202", "Redis count", "errors", "verdict"],
    numeric: [2, 3, 4, 5, 7],
    rows: r.strategies.map((s) => {
      const v = new Set(s.check.violations.map((x) => x.code));
      const mark = (code: string, n: number) => (v.has(code) ? `${n} FAIL` : String(n));
      return [
        s.strategy,
        `${num(s.ledger.rows)}/${num(s.quantity)}`,
        mark("OVER_ISSUE", Math.max(0, s.ledger.rows - s.quantity)),
        mark("UNDER_ISSUE", Math.max(0, s.quantity - s.ledger.rows)),
        mark("ISSUED_WITHOUT_ROW", s.mismatches.issuedWithoutRow),
        s.mismatches.rowWithoutWin > 0 ? `${s.mismatches.rowWithoutWin} FAIL` : "0",
        s.ledger.redisCount === null ? "n/a" : num(s.ledger.redisCount),
        num(s.errors),
        s.check.ok ? "PASS" : `FAIL ${[...v].join(",")}`,
      ];
    }),
  };
}

export function targetsTable(r: BenchResults): Table {
  return {
    title: "Targets the project keeps (scripts/bench/targets.json; why each is kept: see the report)",
    headers: ["target", "strategy", "measured", "need", "result"],
    numeric: [2],
    rows: r.targets.map((t) => [t.label, t.strategy, t.measured.toFixed(3), t.bound, t.pass ? "PASS" : "**MISS**"]),
  };
}

export function allTables(r: BenchResults): Table[] {
  return [costTable(r), throughputTable(r), referencePassesTable(r), pgReferenceTable(r), correctnessTable(r), targetsTable(r)];
}
