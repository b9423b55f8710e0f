/**
 * npm run bench -- [--connections C] [--duration S] [--quantity Q]
 *   [--strategies a,b] [--workers K] [--seed X] [--cpu-prof] [--out DIR]
 *
 * Every strategy on the same workload (issuing: a fresh coupon of Q sold out
 * to unique users; sold out: the same coupon, fixed duration), with what each
 * request cost Redis, PostgreSQL and the service's CPU, next to three no-op
 * HTTP references and three PostgreSQL/Redis references, all measured in
 * this run, and (with redis-set) 1,000 coupons of 100 selling at once next
 * to one coupon (bench/many-coupons.ts; alone: npm run bench:many). Prints
 * tables and the targets of scripts/bench/targets.json with PASS/MISS, and
 * writes bench-results/<timestamp>/{results.json,report.md,report.html}.
 * Its own stores: a redis-server it starts on a free port, and the database
 * BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/coupons_bench,
 * dropped, then created again by the service).
 * Exit codes: 0 done (targets may MISS), 1 a correctness violation,
 * 2 bad arguments, 3 the run itself failed.
 */
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from "./bench/args";
import { BENCH_SERVICE_ENV, useBenchStores, type BenchStores } from "./bench/bench-env";
import { CostMeter } from "./bench/costs";
import { combinePasses, referencePass, startReference, timedRun, type ReferenceSet, type RunPlan } from "./bench/http-runs";
import { connect, measurePgReferences } from "./bench/pg-refs";
import { measureJwtCost } from "./bench/jwt-cost";
import { drainVsInserts } from "./bench/queue-drain";
import { manyCouponsTable, measureManyCoupons, type ManyCouponsResult } from "./bench/many-coupons";
import { headline, writeReports } from "./bench/report-files";
import { allTables } from "./bench/report-tables";
import { runStrategy, type StrategyResult } from "./bench/strategy-run";
import { renderTable } from "./bench/table";
import { evaluateTargets, loadTargets, type BenchResults } from "./bench/targets";
import { runCli } from "./load/args";
import { startService, type RunningService } from "./load/service";

/** Rows per queue-drain run and per reference (ii) run: fixed, so admission with the workers held stays well under the service's 5 s statement timeout. */
const DRAIN_ROWS = 10_000;
const DRAIN_REPEATS = 3;
/** warn: the service logs nothing per request (those lines are info), only trouble. */
const LOG_LEVEL = "warn";
/** The service's settings (see BENCH_SERVICE_ENV); jwt-cost.ts measures with them otherwise. */
const SERVICE_ENV = { LOG_LEVEL, ...BENCH_SERVICE_ENV };

const say = (line: string) => console.log(`bench: ${line}`);
/** Every child process started and not yet stopped, so Ctrl-C and errors stop them all. */
const children = new Set<RunningService>();

type Measured = Pick<BenchResults, "references" | "pgReferences" | "strategies"> & { manyCoupons?: ManyCouponsResult };
/** The many-coupons workload (bench/many-coupons.ts): this many coupons of this many places, redis-set. */
const MANY_COUPONS = { coupons: 1_000, quantity: 100 };

async function measure(o: BenchOptions, stores: BenchStores, service: RunningService, urls: ReferenceSet<string>, strategies: StrategyResult[]): Promise<Measured> {
  // The same request stream for every target: same connections, duration, users and seed.
  const plan = (url: string): RunPlan => ({
    url, couponId: 0, path: "/bench/noop", users: o.quantity * 4, connections: o.connections, durationSeconds: o.durationSeconds, seed: o.seed,
  });
  say(`references, first pass: node:http, bare Express, service /bench/noop, ${o.durationSeconds} s each at ${o.connections} connections`);
  const first = await referencePass(urls, plan, true);
  const pg = await connect();
  const redis = new Redis(stores.redis.url, { maxRetriesPerRequest: 1 });
  const meter = new CostMeter({ redis, pg, metricsUrl: `${service.url}/metrics` });
  try {
    say("PostgreSQL references (i) and (iii)");
    const pgRefs = await measurePgReferences(pg, redis, o.quantity, o.connections);
    const driveExpress = () => timedRun(plan(urls.express));
    for (const strategy of o.strategies) {
      say(`${strategy}: warm-up sale, issuing ${o.quantity.toLocaleString("en-US")}, sold out for ${o.durationSeconds} s, then bare Express next to it`);
      strategies.push(await runStrategy({ service, pg, strategy, quantity: o.quantity, connections: o.connections, durationSeconds: o.durationSeconds, seed: o.seed, meter, driveExpress }));
    }
    const redisSet = strategies.find((s) => s.strategy === "redis-set");
    if (redisSet) {
      say(`redis-set: its sold-out crowd without, with, with and without SHOPPER_AUTH=jwt (a second service), ${o.durationSeconds} s each`);
      const crowd = { ...plan(service.url), path: undefined, couponId: redisSet.couponId, seed: o.seed + 1 };
      redisSet.jwt = await measureJwtCost(service, crowd, o.workers, SERVICE_ENV);
    }
    // Queue issuing is bounded by HTTP admission; its drain needs the workers' own rate, next to (ii).
    const queue = strategies.find((s) => s.strategy === "queue");
    say(`reference (ii)${queue ? " interleaved with the queue's drain (workers held during admission)" : ""}: ${DRAIN_REPEATS}× ${DRAIN_ROWS.toLocaleString("en-US")} rows`);
    const cmp = await drainVsInserts(service, pg, DRAIN_ROWS, o.connections, DRAIN_REPEATS, queue !== undefined);
    if (queue) [queue.drain, queue.drainRuns] = [cmp.drain, cmp.drains];
    const pgReferences = { ...pgRefs, multiRow: cmp.insert };
    const manyCoupons = o.strategies.includes("redis-set")
      ? await measureManyCoupons(
          { service, pg, strategy: "redis-set", ...MANY_COUPONS, connections: o.connections, durationSeconds: o.durationSeconds, repeats: 1, seed: o.seed },
          say,
        )
      : undefined;
    // A second pass at the end: on a shared machine the baseline drifts, and the mean of both brackets the strategies.
    say("references, second pass");
    const second = await referencePass(urls, plan, false);
    const references = {
      nodeHttp: combinePasses([first.nodeHttp, second.nodeHttp]),
      express: combinePasses([first.express, second.express]),
      serviceNoop: combinePasses([first.serviceNoop, second.serviceNoop]),
    };
    return { references, pgReferences, strategies, manyCoupons };
  } finally {
    await pg.end();
    redis.disconnect();
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
  children.clear();
}

async function run(o: BenchOptions): Promise<boolean> {
  const targets = loadTargets();
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const dir = path.resolve(o.out, startedAt.replace(/[:.]/g, "-"));
  const profileDir = o.cpuProf ? path.join(dir, "profiles") : undefined;
  const strategies: StrategyResult[] = [];
  let measured: Measured;
  let service: RunningService | undefined;
  const stores = await useBenchStores();
  say(`${stores.note}; a redis-server of its own on port ${stores.redis.port}`);
  try {
    // All three servers stay up for the whole run; idle, they cost nothing.
    const http = await startReference("http", o.workers);
    children.add(http);
    const express = await startReference("express", o.workers);
    children.add(express);
    service = await startService(o.workers, 60_000, {
      env: { ...SERVICE_ENV, TEST_BENCH_NOOP_ROUTE: "true" },
      nodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    });
    children.add(service);
    measured = await measure(o, stores, service, { nodeHttp: http.url, express: express.url, serviceNoop: service.url }, strategies);
  } finally {
    const code = service && (await service.stop());
    if (code !== undefined && code !== 0) console.error(`bench: the service exited with code ${code}\n${service!.tail().join("\n")}`);
    await stopAll();
    await stores.redis.stop();
  }

  const results: BenchResults = {
    startedAt,
    options: o,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?", node: process.version, platform: `${os.platform()} ${os.release()}` },
    database: stores.note,
    logLevel: LOG_LEVEL + (o.cpuProf ? " (service under --cpu-prof)" : ""),
    ...measured,
    targets: evaluateTargets(targets, measured.strategies),
    profileDir,
    totalSeconds: (Date.now() - started) / 1000,
  };
  console.log(`\n${headline(results)}\n`);
  for (const t of allTables(results)) console.log(renderTable(t) + "\n");
  if (measured.manyCoupons) console.log(renderTable(manyCouponsTable(measured.manyCoupons)) + "\n");
  writeReports(dir, results);
  const missed = results.targets.filter((t) => !t.pass).length;
  console.log(`${results.targets.length - missed}/${results.targets.length} targets PASS. Reports: ${dir}/report.{md,html}, results.json`);
  if (profileDir) console.log(`Service CPU profiles: ${profileDir}/*.cpuprofile (open them in Chrome DevTools, Performance panel)`);
  return strategies.every((s) => s.check.ok);
}

runCli("bench", BENCH_USAGE, parseBenchArgs, (options) => {
  // Ctrl-C must not leave servers behind holding ports (the redis-server goes with this process).
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
  return run(options);
});
