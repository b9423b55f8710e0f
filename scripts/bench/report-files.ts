/** Writes results.json, report.md and a self-contained report.html into the run's directory. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { allTables } from "./report-tables";
import { barChart, escapeXml } from "./svg-chart";
import { renderMarkdown, type Table } from "./table";
import type { BenchResults } from "./targets";

export function headline(r: BenchResults): string {
  const o = r.options;
  return (
    `Bench ${r.startedAt}: ${o.strategies.join(", ")}; ${o.connections} connections; Q=${o.quantity.toLocaleString("en-US")}; ` +
    `${o.durationSeconds} s fixed runs; ${o.workers} service process(es); LOG_LEVEL=${r.logLevel} (per-request logs off); ${r.database}; ` +
    `${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}; took ${r.totalSeconds.toFixed(0)} s`
  );
}

const HOW_TO_READ = [
  "Every server ran as its own process on this machine, with the load generator (autocannon, in the bench process) competing for the same cores, so absolute numbers say little: read the ratios, which compare figures taken minutes apart in the same run.",
  "**References.** node:http no-op is the machine's ceiling for this request; bare Express 5 no-op is our stack's ceiling; the service's `POST /bench/noop` runs our middleware, body parsing and zod validation and touches neither Redis nor PostgreSQL, so its gap to bare Express is what our middleware costs. All three are measured at the start and again at the end of the run (servers kept up throughout); baselines are the mean of both passes, and the passes table shows how far the machine drifted in between.",
  "**Issuing** sells a fresh coupon of Q to unique users: rows/s = rows / seconds from the first request until the last row was committed (for queue: until `Coupon.issuedCount` reached the admitted count, polled every 20 ms). Its p50/p99 are the HTTP latencies of that phase. The PostgreSQL references (i)–(iii) are measured straight from the bench process on the same tables, with fresh coupon rows.",
  "**Queue drain (held)** is the queue workers' own rate: the coupon row is locked from the bench while Q users are admitted (all 202), then released; rows / seconds from the release until `Coupon.issuedCount` = Q. Issuing end to end cannot show it, since rows cannot be persisted faster than HTTP admits them. The queue drain target uses it.",
  "**Sold out** keeps driving the same coupon for the fixed duration with new and repeat users (all answered 409): req/s, as a % of the bare-Express run made right after it (the row below it; baselines drift within a run on a shared machine) and of the node:http mean. The 5× postgres targets compare the two phases each as a share of its own adjacent Express run.",
  "**Every HTTP run** opens its connections first (GET /healthz on each, untimed) and times only what follows: 200 simultaneous connects stall about one in five first requests for up to a second on a busy machine, bare Express included, which would otherwise set the p99 and the rate of a short phase.",
  "**PG ckpt** is the number of PostgreSQL checkpoints (pg_stat_bgwriter) during a phase: commits can stall behind one (and other tenants' DROP DATABASE forces them), so a latency spike in such a phase may be the machine's, not the strategy's.",
  "**Correctness** reads PostgreSQL after the run: over/under-issue against Q, users told ISSUED (201, 409 ALREADY_ISSUED, or a 202 that resolved ISSUED) without a row, rows whose user never got 201/202, and errors (answers neither 2xx nor 409, plus timeouts and connection errors).",
  "**Targets** are PASS/MISS on those ratios. A MISS on a noisy 2-core machine is worth re-running before acting on; a MISS by a wide margin is not noise.",
];

function htmlTable(t: Table): string {
  const cell = (tag: string, s: string, i: number) => `<${tag}${t.numeric?.includes(i) ? ' class="n"' : ""}>${escapeXml(s)}</${tag}>`;
  const rows = t.rows.map((r) => {
    const cls = r.some((c) => /^(MISS|FAIL)|\bFAIL\b/.test(c)) ? ' class="bad"' : "";
    return `<tr${cls}>${r.map((c, i) => cell("td", c, i)).join("")}</tr>`;
  });
  return `<h3>${escapeXml(t.title)}</h3>\n<table><thead><tr>${t.headers.map((h, i) => cell("th", h, i)).join("")}</tr></thead>\n<tbody>${rows.join("\n")}</tbody></table>`;
}

function charts(r: BenchResults): string[] {
  const ref = r.references;
  const strat = r.strategies;
  return [
    barChart({
      title: "Sold out and references: throughput",
      unit: "req/s",
      series: ["req/s", "bare Express run right after"],
      groups: [
        { label: "node:http no-op", values: [ref.nodeHttp.requestsPerSecond, null] },
        { label: "bare Express no-op", values: [ref.express.requestsPerSecond, null] },
        { label: "service /bench/noop", values: [ref.serviceNoop.requestsPerSecond, null] },
        ...strat.map((s) => ({ label: `${s.strategy} sold out`, values: [s.soldOut.requestsPerSecond, s.adjacentExpress?.requestsPerSecond ?? null] })),
      ],
    }),
    barChart({
      title: "Issuing: rows persisted per second",
      unit: "rows/s",
      series: ["rows/s"],
      groups: [
        { label: "bare Express no-op (req/s)", values: [ref.express.requestsPerSecond] },
        { label: "(i) single-row INSERTs", values: [r.pgReferences.singleRow.perSecond] },
        { label: "(iii) lock serial ceiling", values: [r.pgReferences.lockSerial.perSecond] },
        ...strat.map((s) => ({ label: `${s.strategy} issuing`, values: [s.issuing.rowsPerSecond] })),
      ],
    }),
    // Its own chart: batch writes run an order of magnitude faster and would flatten the others.
    barChart({
      title: "Batch writes: queue drain vs (ii) 500-row INSERTs",
      unit: "rows/s",
      series: ["rows/s"],
      groups: [
        { label: "(ii) 500-row INSERTs", values: [r.pgReferences.multiRow.perSecond] },
        ...strat.flatMap((s) => (s.drain ? [{ label: `${s.strategy} drain (workers held)`, values: [s.drain.rowsPerSecond] }] : [])),
      ],
    }),
    barChart({
      title: "Latency per strategy and phase",
      unit: "ms",
      series: ["p50", "p99"],
      groups: [
        { label: "bare Express no-op", values: [ref.express.p50Ms, ref.express.p99Ms] },
        { label: "service /bench/noop", values: [ref.serviceNoop.p50Ms, ref.serviceNoop.p99Ms] },
        ...strat.flatMap((s) => [
          { label: `${s.strategy} issuing`, values: [s.issuing.http.p50Ms, s.issuing.http.p99Ms] },
          { label: `${s.strategy} sold out`, values: [s.soldOut.p50Ms, s.soldOut.p99Ms] },
        ]),
      ],
      refLine: { value: 100, label: "p99 target 100 ms" },
    }),
    barChart({
      title: "Issued vs limit",
      unit: "coupons",
      series: ["limit Q", "rows in PostgreSQL"],
      groups: strat.map((s) => ({ label: s.strategy, values: [s.quantity, s.ledger.rows] })),
    }),
  ];
}

export function writeReports(dir: string, r: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "results.json"), JSON.stringify(r, null, 2) + "\n");
  const tables = allTables(r);
  const md = [`# Coupon issuance benchmark`, "", headline(r), "", ...tables.flatMap((t) => [renderMarkdown(t), ""]), "## How to read it", "", ...HOW_TO_READ.flatMap((p) => [p, ""])];
  writeFileSync(path.join(dir, "report.md"), md.join("\n"));
  const bold = (s: string) => escapeXml(s).replace(/\*\*(.+?)\*\*/g, "<b>$1</b>").replace(/`(.+?)`/g, "<code>$1</code>");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coupon issuance benchmark ${escapeXml(r.startedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}.n{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fde8e8}svg{margin:1em 0;font-family:inherit}
</style></head><body>
<h1>Coupon issuance benchmark</h1>
<p>${escapeXml(headline(r))}</p>
${charts(r).join("\n")}
${tables.map(htmlTable).join("\n")}
<h2>How to read it</h2>
${HOW_TO_READ.map((p) => `<p>${bold(p)}</p>`).join("\n")}
</body></html>
`;
  writeFileSync(path.join(dir, "report.html"), html);
}
