/**
 * npm run bench -- [--connections C] [--duration S] [--quantity Q]
 *   [--strategies a,b] [--workers K] [--seed X] [--cpu-prof] [--out DIR]
 *
 * Every strategy on the same workload (issuing: a fresh coupon of Q sold out
 * to unique users; sold out: the same coupon, fixed duration), next to three
 * no-op HTTP references and three PostgreSQL/Redis references, all measured
 * in this run. Prints tables with PASS/MISS per target and writes
 * bench-results/<timestamp>/{results.json,report.md,report.html}.
 * Uses its own database and key prefix: BENCH_DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/coupons_bench, created by the service),
 * BENCH_REDIS_KEY_PREFIX (default "bench:"); REDIS_URL as usual.
 * Exit codes: 0 done (targets may MISS), 1 a correctness violation,
 * 2 bad arguments, 3 the run itself failed.
 */
import { readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from "./bench/args";
import { BENCH_KEY_PREFIX, freshBenchDatabase, useBenchStores } from "./bench/bench-env";
import { dropCouponKeys } from "./bench/cleanup";
import { combinePasses, referencePass, startReference, timedRun, type ReferenceSet, type RunPlan } from "./bench/http-runs";
import { connect, measurePgReferences } from "./bench/pg-refs";
import { measureJwtCost } from "./bench/jwt-cost";
import { drainVsInserts } from "./bench/queue-drain";
import { formatTop, topSelfTime } from "./bench/profile-summary";
import { headline, writeReports } from "./bench/report-files";
import { allTables } from "./bench/report-tables";
import { runStrategy, type StrategyResult } from "./bench/strategy-run";
import { renderText } from "./bench/table";
import { evaluateTargets, type BenchResults } from "./bench/targets";
import { runCli } from "./load/args";
import { redisUrl } from "./load/inspect";
import { startService, type RunningService } from "./load/service";

useBenchStores();
const PREFIX = BENCH_KEY_PREFIX;
/** Rows per queue-drain run and per reference (ii) run: fixed, so admission with the workers held stays well under the service's 5 s statement timeout. */
const DRAIN_ROWS = 10_000;
const DRAIN_REPEATS = 3;
const PHASE_TOP = 8;
/** warn: the service logs nothing per request (those lines are info), only trouble. */
const LOG_LEVEL = "warn";

const say = (line: string) => console.log(`bench: ${line}`);
/** Every child process started and not yet stopped, so Ctrl-C and errors stop them all. */
const children = new Set<RunningService>();

type Measured = Pick<BenchResults, "references" | "pgReferences" | "strategies" | "jwtCost">;

async function measure(o: BenchOptions, service: RunningService, urls: ReferenceSet<string>, strategies: StrategyResult[]): Promise<Measured> {
  // The same request stream for every target: same connections, duration, users and seed.
  const plan = (url: string): RunPlan => ({
    url, couponId: 0, path: "/bench/noop", users: o.quantity * 4, connections: o.connections, durationSeconds: o.durationSeconds, seed: o.seed,
  });
  say(`references, first pass: node:http, bare Express, service /bench/noop, ${o.durationSeconds} s each at ${o.connections} connections`);
  const first = await referencePass(urls, plan, true);
  const pg = await connect();
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    say("PostgreSQL references (i) and (iii)");
    const pgRefs = await measurePgReferences(pg, redis, PREFIX, o.quantity, o.connections);
    for (const strategy of o.strategies) {
      say(`${strategy}: warm-up sale, issuing ${o.quantity.toLocaleString("en-US")}, then sold out for ${o.durationSeconds} s`);
      const result = await runStrategy({ service, pg, strategy, quantity: o.quantity, connections: o.connections, durationSeconds: o.durationSeconds, seed: o.seed });
      strategies.push(result);
      say(`${strategy}: bare Express again, for a baseline next to its sold-out phase`);
      result.adjacentExpress = await timedRun(plan(urls.express));
    }
    // A sold-out coupon for the jwt row: redis-set's if it ran (the default strategy), else the first one's.
    const soldOut = strategies.find((s) => s.strategy === "redis-set") ?? strategies[0];
    say(`sold-out crowd on ${soldOut?.strategy}'s coupon without and with SHOPPER_AUTH=jwt (a second service), ${o.durationSeconds} s each`);
    const jwtCost = soldOut && (await measureJwtCost(service, { ...plan(service.url), path: undefined, couponId: soldOut.couponId, seed: o.seed + 1 }, o.workers, LOG_LEVEL));
    // Queue issuing is bounded by HTTP admission; its drain target needs the workers' own rate, next to (ii).
    const queue = strategies.find((s) => s.strategy === "queue");
    say(`reference (ii)${queue ? " interleaved with the queue's drain (workers held during admission)" : ""}: ${DRAIN_REPEATS}× ${DRAIN_ROWS.toLocaleString("en-US")} rows`);
    const cmp = await drainVsInserts(service, pg, DRAIN_ROWS, o.connections, DRAIN_REPEATS, queue !== undefined);
    if (queue) [queue.drain, queue.drainRuns] = [cmp.drain, cmp.drains];
    const pgReferences = { ...pgRefs, multiRow: cmp.insert };
    // A second pass at the end: on a shared machine the baseline drifts, and the mean of both brackets the strategies.
    say("references, second pass");
    const second = await referencePass(urls, plan, false);
    const references = {
      nodeHttp: combinePasses([first.nodeHttp, second.nodeHttp]),
      express: combinePasses([first.express, second.express]),
      serviceNoop: combinePasses([first.serviceNoop, second.serviceNoop]),
    };
    return { references, pgReferences, strategies, jwtCost };
  } finally {
    await pg.end();
    const ids = strategies.flatMap((s) => [s.couponId, s.warmUpCouponId, ...(s.drainRuns ?? []).map((d) => d.couponId)]);
    await dropCouponKeys(redis, PREFIX, ids).catch(() => undefined);
    redis.disconnect();
  }
}

/** A service profile, whole and cut to each strategy phase (the phases are seconds among a minute of other work). */
function profileOf(file: string, strategies: StrategyResult[]) {
  const phases = strategies.flatMap((s) => [
    { phase: `${s.strategy} issuing`, top: topSelfTime(file, PHASE_TOP, [s.windowsUs.issuing]) },
    { phase: `${s.strategy} sold out`, top: topSelfTime(file, PHASE_TOP, [s.windowsUs.soldOut]) },
    ...(s.drainRuns?.length ? [{ phase: `${s.strategy} drain`, top: topSelfTime(file, PHASE_TOP, s.drainRuns.map((d) => d.windowUs)) }] : []),
  ]);
  return { file, top: topSelfTime(file), phases };
}

async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
  children.clear();
}

async function run(o: BenchOptions): Promise<boolean> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const dir = path.resolve(o.out, startedAt.replace(/[:.]/g, "-"));
  const profileDir = path.join(dir, "profiles");
  const strategies: StrategyResult[] = [];
  let measured: Measured;
  let service: RunningService | undefined;
  const database = await freshBenchDatabase();
  say(database);
  try {
    // All three servers stay up for the whole run; idle, they cost nothing.
    const http = await startReference("http", o.workers);
    children.add(http);
    const express = await startReference("express", o.workers);
    children.add(express);
    service = await startService(o.workers, 60_000, {
      // The strategies are measured without shopper tokens; their cost has its own row (jwt-cost.ts).
      env: { TEST_BENCH_NOOP_ROUTE: "true", LOG_LEVEL, SHOPPER_AUTH: "none" },
      nodeArgs: o.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    });
    children.add(service);
    measured = await measure(o, service, { nodeHttp: http.url, express: express.url, serviceNoop: service.url }, strategies);
  } finally {
    const code = service && (await service.stop());
    if (code !== undefined && code !== 0) console.error(`bench: the service exited with code ${code}\n${service!.tail().join("\n")}`);
    await stopAll();
  }

  const partial = {
    startedAt,
    options: o,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?", node: process.version, platform: `${os.platform()} ${os.release()}` },
    database,
    logLevel: LOG_LEVEL + (o.cpuProf ? " (service under --cpu-prof)" : ""),
    ...measured,
  };
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial), totalSeconds: (Date.now() - started) / 1000 };
  if (o.cpuProf) {
    results.profiles = readdirSync(profileDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => profileOf(path.join(profileDir, f), strategies));
  }

  console.log(`\n${headline(results)}\n`);
  for (const t of allTables(results)) console.log(renderText(t) + "\n");
  for (const p of results.profiles ?? []) {
    console.log(`Top self time, whole run, ${p.file}:\n${formatTop(p.top)}\n`);
    for (const ph of p.phases) console.log(`Top self time, ${ph.phase} only:\n${formatTop(ph.top)}\n`);
  }
  writeReports(dir, results);
  const missed = results.targets.filter((t) => !t.pass).length;
  console.log(`${results.targets.length - missed}/${results.targets.length} targets PASS. Reports: ${dir}/report.{md,html}, results.json`);
  return strategies.every((s) => s.check.ok);
}

runCli("bench", BENCH_USAGE, parseBenchArgs, (options) => {
  // Ctrl-C must not leave servers behind holding ports.
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
  return run(options);
});
