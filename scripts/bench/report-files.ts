/**
 * Writes results.json, report.md, and report.html: report.md rendered by
 * marked, with Chart.js charts. Chart.js is inlined, so the page opens
 * offline and on its own.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { marked } from "marked";
import { allTables } from "./report-tables";
import { renderTable } from "./table";
import { phaseLabel, type BenchResults } from "./targets";

export function headline(r: BenchResults): string {
  const o = r.options;
  return (
    `Bench ${r.startedAt}: ${o.strategies.join(", ")}; ${o.connections} connections; Q=${o.quantity.toLocaleString("en-US")}; ` +
    `${o.durationSeconds} s fixed runs; ${o.workers} service process(es); LOG_LEVEL=${r.logLevel} (per-request logs off); ${r.database}; ` +
    `${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}; took ${r.totalSeconds.toFixed(0)} s`
  );
}

const HOW_TO_READ = [
  "Every server ran as its own process on this machine, with the load generator (autocannon, in the bench process) competing for the same cores, so absolute rates say little: read the costs per request, which do not depend on how fast the machine was, and the ratios, which compare figures taken minutes apart in the same run.",
  "**Cost per request** divides what the service made the shared parts do during a phase by the requests sent in it (background work, such as the queue worker's and hold sweeper's ticks, included). *Redis commands*: `INFO commandstats` calls on the bench's own redis-server, so the commands a Lua script runs inside Redis count as well as the script call. *Redis round trips*: the commands the service's clients sent (`coupon_redis_commands_total`; a script call is one, a pipeline or MULTI counts each command it carries). *PG statements*: what the service's pg pool sent (`coupon_db_statements_total`; BEGIN and COMMIT count; pg_stat_statements is not loaded on this server, and loading it needs a restart). *PG transactions*: the transactions those statements made, as `pg_stat_database` counts them (`coupon_db_transactions_total`): one per statement outside BEGIN … COMMIT, one per such block, and one per new connection's start-up, so a pool opening connections shows here. `pg_stat_database` itself cannot be read per phase: a PostgreSQL backend publishes its counts there seconds later, or only when it disconnects; a test holds the service's count equal to it. `results.json` has each phase's totals too. *Service CPU ms*: `process_cpu_seconds_total` of every service process. *Issuing* includes the queue's worker until the last row is committed.",
  "**References.** node:http no-op is the machine's ceiling for this request; bare Express 5 no-op is our stack's ceiling; the service's `POST /bench/noop` runs our middleware, body parsing and zod validation and touches neither Redis nor PostgreSQL, so its gap to bare Express is what our middleware costs. All three are measured at the start and again at the end of the run (servers kept up throughout); baselines are the mean of both passes, and the passes table shows how far the machine drifted in between.",
  "**Issuing** sells a fresh coupon of Q to unique users: rows/s = rows / seconds from the first request until the last row was committed (for queue: until `Coupon.issuedCount` reached the admitted count, polled every 5 ms). Its p50/p99 are the HTTP latencies of that phase. The PostgreSQL references (i)–(iii) are measured straight from the bench process on the same tables, with fresh coupon rows.",
  "**Queue drain (held)** is the queue workers' own rate: the coupon row is locked from the bench while Q users are admitted (all 202), then released; rows / seconds from the release until `Coupon.issuedCount` = Q. Issuing end to end cannot show it, since rows cannot be persisted faster than HTTP admits them.",
  "**Sold out** keeps driving the same coupon for the fixed duration with new and repeat users (all answered 409): req/s, as a % of the bare-Express run made right after it (the row below it; baselines drift within a run on a shared machine) and of the node:http mean.",
  "**Every HTTP run** opens its connections first (GET /healthz on each, untimed) and times only what follows: 200 simultaneous connects stall about one in five first requests for up to a second on a busy machine, bare Express included, which would otherwise set the p99 and the rate of a short phase.",
  "**PG ckpt** is the number of PostgreSQL checkpoints (pg_stat_bgwriter) during a phase: commits can stall behind one (and other tenants' DROP DATABASE forces them), so a latency spike in such a phase may be the machine's, not the strategy's.",
  "**Correctness** reads PostgreSQL after the run: over/under-issue against Q, users told ISSUED (201, 409 ALREADY_ISSUED, or a 202 that resolved ISSUED) without a row, rows whose user never got 201/202, and errors (answers neither 2xx nor 409, plus timeouts and connection errors).",
];

/** The targets' reasons, once each, under the targets table. */
function whyList(r: BenchResults): string[] {
  const seen = new Map(r.targets.map((t) => [t.label, t.why]));
  return [...seen].map(([label, why]) => `- **${label}**: ${why}`);
}

type Series = Record<string, (number | null)[]>;
const bar = (title: string, labels: string[], series: Series) => ({
  type: "bar",
  data: { labels, datasets: Object.entries(series).map(([label, data]) => ({ label, data })) },
  options: {
    indexAxis: "y",
    animation: false,
    maintainAspectRatio: false,
    scales: { y: { ticks: { autoSkip: false } } },
    plugins: { title: { display: true, text: title } },
  },
});

function charts(r: BenchResults) {
  const ref = r.references;
  const strat = r.strategies;
  const phases = strat.flatMap((s) => (["issuing", "soldOut"] as const).map((phase) => ({ label: `${s.strategy} ${phaseLabel(phase)}`, c: s.costs[phase].perRequest })));
  return [
    bar("Cost per request", phases.map((p) => p.label), {
      "Redis commands": phases.map((p) => p.c.redisCommands),
      "Redis round trips": phases.map((p) => p.c.redisRoundTrips),
      "PG statements": phases.map((p) => p.c.pgStatements),
      "PG transactions": phases.map((p) => p.c.pgTransactions),
      "service CPU ms": phases.map((p) => p.c.cpuMs),
    }),
    bar("Sold out and references: req/s", ["node:http no-op", "bare Express no-op", "service /bench/noop", ...strat.map((s) => `${s.strategy} sold out`)], {
      "req/s": [ref.nodeHttp.requestsPerSecond, ref.express.requestsPerSecond, ref.serviceNoop.requestsPerSecond, ...strat.map((s) => s.soldOut.requestsPerSecond)],
      "bare Express run right after": [null, null, null, ...strat.map((s) => s.adjacentExpress.requestsPerSecond)],
    }),
    bar("Issuing: rows persisted per second", ["(i) single-row INSERTs", "(iii) lock serial ceiling", ...strat.map((s) => s.strategy)], {
      "rows/s": [r.pgReferences.singleRow.perSecond, r.pgReferences.lockSerial.perSecond, ...strat.map((s) => s.issuing.rowsPerSecond)],
    }),
    bar("Latency (ms)", ["bare Express no-op", "service /bench/noop", ...phases.map((p) => p.label)], {
      p50: [ref.express.p50Ms, ref.serviceNoop.p50Ms, ...strat.flatMap((s) => [s.issuing.http.p50Ms, s.soldOut.p50Ms])],
      p99: [ref.express.p99Ms, ref.serviceNoop.p99Ms, ...strat.flatMap((s) => [s.issuing.http.p99Ms, s.soldOut.p99Ms])],
    }),
  ];
}

const CHART_JS = () => readFileSync(path.join(path.dirname(require.resolve("chart.js")), "chart.umd.min.js"), "utf8");

/** Tall enough for every label and bar. */
const chartHeight = (spec: ReturnType<typeof bar>) => spec.data.labels.length * Math.max(24, spec.data.datasets.length * 12) + 90;

function html(r: BenchResults, head: string, body: string): string {
  const specs = charts(r);
  // JSON inside <script>: no "<" may close the element early.
  const json = JSON.stringify(specs).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Coupon issuance benchmark ${r.startedAt}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px}th{background:#f3f3f3}
</style>
<script>${CHART_JS()}</script></head><body>
${marked.parse(head, { async: false })}
${specs.map((s, i) => `<div style="position:relative;height:${chartHeight(s)}px"><canvas id="chart${i}"></canvas></div>`).join("\n")}
${marked.parse(body, { async: false })}
<script>${json}.forEach((spec, i) => new Chart(document.getElementById("chart" + i), spec));</script>
</body></html>
`;
}

export function writeReports(dir: string, r: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "results.json"), JSON.stringify(r, null, 2) + "\n");
  const head = ["# Coupon issuance benchmark", headline(r)].join("\n\n");
  const body = [...allTables(r).map((t) => renderTable(t, "### ")), whyList(r).join("\n"), "## How to read it", ...HOW_TO_READ].join("\n\n");
  writeFileSync(path.join(dir, "report.md"), `${head}\n\n${body}\n`);
  // The charts go between the headline and the tables.
  writeFileSync(path.join(dir, "report.html"), html(r, head, body));
}
