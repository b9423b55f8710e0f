/**
 * npm run bench:rebuild -- [--rows N=1000000] [--repeats R=3] [--requests Q=200] [--json FILE]
 *
 * Rebuilding a coupon's Redis state from PostgreSQL, and reconciling the
 * two, for a redis-set coupon of N issued users (docs/guarantees.md, promise 6):
 *
 * - rebuild: CouponStore.ensureLoaded after the coupon's keys were
 *   deleted, R times (median), each next to two same-run references: a plain
 *   read of the N userIds from PostgreSQL and a plain pipelined SADD of them
 *   (1,000 a command), so the figure can be judged on a machine that drifts;
 * - the slowest single Redis command during the rebuilds and the requests
 *   (SLOWLOG, threshold 0: every command is logged; and the latency monitor,
 *   which times a MULTI's EXEC whole), since one long command stalls every
 *   shopper of every coupon on that Redis; next to the slowest command of
 *   the plain SADD, which is this machine's noise floor (both time wall
 *   clock, so a redis-server descheduled mid-command counts);
 * - Q issue requests for the coupon, staggered over one more rebuild, against
 *   the app running in this process: seeded users must get 409
 *   ALREADY_ISSUED, fresh ones 201 until the spare places are gone and then
 *   409 SOLD_OUT; anything else (5xx, 202, a wrong answer) is a failure;
 * - reconcile (dry run) of the healthy coupon, R times (median), with the
 *   peak memory growth while it runs, next to a coupon of N/5 rows (streaming
 *   means the same growth) and the plain read above (which holds every id);
 *   then, for information, a dry run and a repair of a damaged coupon (the
 *   path that scans the whole Redis set).
 *
 * It starts its own redis-server (so SLOWLOG and CONFIG are ours alone) and
 * its own database (dropped at the end). Targets: rebuild ≤ 3 s, slowest
 * command ≤ 50 ms, reconcile ≤ 5 s, no failed request. PASS/FAIL is
 * printed, but the exit code is 0 unless the run itself failed (3) or the
 * arguments were bad (2): it is a benchmark, not a test.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Redis } from "ioredis";
import { Client } from "pg";
import { loadConfig } from "../src/config";
import { cliActor } from "../src/db/audit-log";
import { Ledger } from "../src/db/ledger";
import { migrate } from "../src/db/migrate";
import type { ReconcileReport } from "../src/issuance/coupon-admin";
import { couponKeys } from "../src/coupon-store/keys";
import { CouponStore } from "../src/coupon-store/coupon-store";
import { createLogger } from "../src/logger";
import { startServer, type RunningServer } from "../src/server";
import { BENCH_DATABASE_URL, freshBenchDatabase } from "./bench/bench-env";
import { ms, num, renderTable } from "./bench/table";
import { intArg, runCli, strictArgs } from "./load/args";
import { startRedisServer } from "./support/redis-server";

const USAGE = "usage: npm run bench:rebuild -- [--rows N=1000000] [--repeats R=3] [--requests Q=200] [--json FILE]";
const TARGET = { rebuildSeconds: 3, slowestCommandMs: 50, reconcileSeconds: 5 };
/** Places left after the seeded rows: some fresh users during the rebuild win, the rest see SOLD_OUT. */
const SPARE_PLACES = 10;
/** Every 100th seeded user is this plus its index (64-bit ids); the others are 1..N, every digit count. */
const BIG = 9_007_199_254_740_993n;
const FRESH = 20_000_000;
const ADMIN_TOKEN = "bench-rebuild-admin-token";
const WHO = cliActor("bench-rebuild");
/** The bench's own connection (references, cleanup, damage) is left out of the service's SLOWLOG figures. */
const PROBE_NAME = "bench-probe";
const SLOWLOG_MAX_LEN = 1_000_000;
/** Members per command of the plain SADD reference: what the rebuild sends too. */
const REFERENCE_CHUNK = 1_000;

interface Options { rows: number; repeats: number; requests: number; json: string | undefined }

function parse(argv: string[]): Options {
  const values = strictArgs(
    argv,
    { rows: { type: "string" }, repeats: { type: "string" }, requests: { type: "string" }, json: { type: "string" } },
    USAGE,
  );
  return {
    rows: intArg("rows", values.rows, 1_000_000, 10_000_000),
    repeats: intArg("repeats", values.repeats, 3, 21),
    requests: intArg("requests", values.requests, 200, 10_000),
    json: values.json,
  };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (msValue: number) => (msValue / 1000).toFixed(2);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
const userIdOf = (g: number) => (g % 100 === 0 ? (BIG + BigInt(g)).toString() : String(g));

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

// A full GC before each memory figure, so it starts from live data only.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Memory { rssBytes: number; liveHeapBytes: number }

/**
 * Peak growth of RSS and of the live heap over `work`: every 50 ms a full GC,
 * then a sample, so garbage waiting for collection does not count. Slows the
 * work down, so it is measured apart from the timed runs.
 */
async function peakMemory(work: () => Promise<unknown>): Promise<Memory> {
  gc();
  const base = process.memoryUsage();
  const peak: Memory = { rssBytes: 0, liveHeapBytes: 0 };
  const sample = () => {
    gc();
    const m = process.memoryUsage();
    peak.rssBytes = Math.max(peak.rssBytes, m.rss - base.rss);
    peak.liveHeapBytes = Math.max(peak.liveHeapBytes, m.heapUsed - base.heapUsed);
  };
  const timer = setInterval(sample, 50);
  try {
    const result = await work();
    sample(); // with the result still held
    void result;
    return peak;
  } finally {
    clearInterval(timer);
  }
}

interface Slowest {
  /** The longest the server was held by one command, or one MULTI's EXEC (whichever is longer). */
  ms: number;
  /** What it was, e.g. "sadd, 1001 args" or "EXEC or a script, as a whole". */
  command: string;
  p99Ms: number;
  commands: number;
}

/**
 * SLOWLOG over `work` with a threshold of 0, so every command is logged and
 * the slowest is exact; `ours` picks the entries that count, by client name.
 * SLOWLOG lists the commands a MULTI ran but not the EXEC that ran them back
 * to back, so the latency monitor (1 ms threshold) is read too: its
 * "command" event times an EXEC whole. It cannot tell clients apart, so it is
 * read right after `work`, before our own SLOWLOG GET.
 */
async function slowestDuring<T>(probe: Redis, ours: (client: string) => boolean, work: () => Promise<T>): Promise<{ value: T; slowest: Slowest }> {
  await probe.config("SET", "slowlog-log-slower-than", "0");
  await probe.config("SET", "latency-monitor-threshold", "1");
  await probe.call("LATENCY", "RESET");
  await probe.slowlog("RESET");
  try {
    const value = await work();
    const latest = (await probe.call("LATENCY", "LATEST")) as [string, number, number, number][];
    const entries = (await probe.slowlog("GET", "-1")) as [number, number, number, string[], string, string][];
    if (entries.length >= SLOWLOG_MAX_LEN) throw new Error("SLOWLOG overflowed: raise SLOWLOG_MAX_LEN");
    const counted = entries.filter(([, , , args, , client]) => ours(client) && !/^(slowlog|config|latency)$/i.test(args[0] ?? ""));
    const micros = counted.map(([, , us]) => us).sort((a, b) => a - b);
    const top = counted.reduce((a, b) => (b[2] > a[2] ? b : a), counted[0]!);
    let slowest = { ms: (top?.[2] ?? 0) / 1000, command: top ? describeCommand(top[3]) : "" };
    for (const [event, , , maxMs] of latest) {
      // Whole milliseconds: only a clearly longer event means a transaction (or a script) held Redis longer than any command in it.
      if (maxMs > slowest.ms + 1) slowest = { ms: maxMs, command: `${event}: EXEC or a script, as a whole` };
    }
    return { value, slowest: { ...slowest, p99Ms: (micros[Math.floor(micros.length * 0.99)] ?? 0) / 1000, commands: micros.length } };
  } finally {
    await probe.config("SET", "slowlog-log-slower-than", "-1");
    await probe.config("SET", "latency-monitor-threshold", "0");
  }
}

/** "sadd, 1000 args", "evalsha, 3 keys": what was slow, without the arguments. */
function describeCommand(args: readonly string[]): string {
  const name = (args[0] ?? "?").toLowerCase();
  if (name === "evalsha" || name === "eval") return `${name}, ${args[2]} keys`;
  // SLOWLOG keeps at most 32 arguments, the last one saying how many more there were.
  const more = /^\.\.\. \((\d+) more arguments\)$/.exec(args[args.length - 1] ?? "");
  return `${name}, ${args.length - 1 + (more ? Number(more[1]) - 1 : 0)} args`;
}

/** A redis-set coupon with `rows` users written straight into the ledger. */
async function seed(pg: Client, rows: number): Promise<number> {
  const { rows: created } = await pg.query<{ id: number }>(
    `INSERT INTO "Coupon" (name, "totalQuantity", "issuedCount", strategy) VALUES ('bench-rebuild', $1, $2, 'redis-set') RETURNING id`,
    [rows + SPARE_PLACES, rows],
  );
  const id = created[0]!.id;
  await pg.query(
    `INSERT INTO "UserCoupon" ("couponId", "userId")
     SELECT $1, CASE WHEN g % 100 = 0 THEN $3::bigint + g ELSE g END FROM generate_series(1, $2::int) g`,
    [id, rows, BIG.toString()],
  );
  return id;
}

const isClean = (r: ReconcileReport, rows: number) =>
  r.postgres.rows === rows && !r.missingInRedis.length && !r.extraInRedis.length && !r.counterMismatch && !r.limitMismatch && r.redis?.loaded === true;

interface Results {
  rebuildMs: number[];
  pgReadMs: number[];
  saddMs: number[];
  pgReadMemory: Memory;
  rebuildSlowest: Slowest;
  referenceSlowest: Slowest;
  reconcileMs: number[];
  reconcileMemory: Memory;
  smallReconcileMemory: Memory;
  damagedDryRunMs: number;
  repairMs: number;
  during: DuringRebuild;
}

async function run(o: Options): Promise<Record<string, unknown>> {
  const redisServer = await startRedisServer(undefined, ["--slowlog-max-len", String(SLOWLOG_MAX_LEN)]);
  const probe = new Redis(redisServer.url, { connectionName: PROBE_NAME, maxRetriesPerRequest: 1 });
  // Our own database beside the other benches', so neither run drops the other's.
  const dbUrl = new URL(process.env.BENCH_REBUILD_DATABASE_URL ?? BENCH_DATABASE_URL.replace(/_bench$/, "_rebuild_bench"));
  let running: RunningServer | undefined;
  let pg: Client | undefined;
  try {
    const note = await freshBenchDatabase(dbUrl.toString());
    await migrate(dbUrl.toString());
    const config = loadConfig({
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: redisServer.url,
      ADMIN_TOKEN,
      LOG_LEVEL: "error",
      PORT: "0",
    });
    pg = new Client({ connectionString: config.databaseUrl });
    await pg.connect();
    console.log(`bench-rebuild: seeding ${num(o.rows)} + ${num(o.rows / 5)} issued users (${note}; redis-server on port ${redisServer.port})`);
    const couponId = await seed(pg, o.rows);
    const smallId = await seed(pg, Math.floor(o.rows / 5));
    // Index-only scans need the visibility map, which a freshly loaded table lacks until vacuumed (as autovacuum would).
    await pg.query(`VACUUM ANALYZE "UserCoupon"`);

    running = await startServer(config, createLogger(config.logLevel));
    const app = running;
    const admin = app.services.deps.admin;
    // A CouponStore of our own on the app's connections, to time rebuilds without HTTP in the way.
    const state = new CouponStore(app.services.redis, new Ledger(app.services.db.pool), { answerWithinMs: config.redisCommandTimeoutMs });
    const issued = couponKeys(couponId).issued;
    const loseKeys = async () => {
      const k = couponKeys(couponId);
      await probe.unlink(k.meta, k.issued, k.holds);
      await sleep(200); // UNLINK frees in the background: let it finish outside the measurements
    };
    const expectAdmitted = async (n: number, when: string) => {
      const got = await probe.scard(issued);
      if (got !== n) throw new Error(`${when}: Redis admits ${num(got)}, PostgreSQL has ${num(n)}`);
    };
    const service = (client: string) => client !== PROBE_NAME;

    // Warm-up, not measured: page cache, prepared statements, Redis' allocator.
    await state.ensureLoaded(couponId);
    await state.ensureLoaded(smallId);
    await expectAdmitted(o.rows, "warm-up rebuild");

    // Reconcile first, while the heap holds nothing large from the references.
    console.log(`bench-rebuild: reconcile (dry run) ×${o.repeats}, its memory, then a damaged coupon`);
    const reconcileMs: number[] = [];
    for (let i = 0; i < o.repeats; i++) {
      const r = await timed(() => admin.reconcile(couponId, true, WHO));
      if (!isClean(r.value, o.rows)) throw new Error(`reconcile of a healthy coupon found differences: ${JSON.stringify(r.value).slice(0, 400)}`);
      reconcileMs.push(r.ms);
    }
    const reconcileMemory = await peakMemory(() => admin.reconcile(couponId, true, WHO));
    const smallReconcileMemory = await peakMemory(() => admin.reconcile(smallId, true, WHO));
    const readAll = async () => {
      const { rows } = await pg!.query<[string]>({ text: `SELECT "userId" FROM "UserCoupon" WHERE "couponId" = $1`, values: [couponId], rowMode: "array" });
      return rows.map((r) => r[0]);
    };
    const pgReadMemory = await peakMemory(readAll);

    const removed = [1, 12_345, o.rows].map(userIdOf);
    const strangers = [String(FRESH - 1), String(FRESH - 2), "9223372036854775807"];
    await probe.srem(issued, ...removed);
    await probe.sadd(issued, ...strangers);
    const damaged = await timed(() => admin.reconcile(couponId, true, WHO));
    const sorted = (xs: readonly string[]) => JSON.stringify([...xs].sort());
    if (sorted(damaged.value.missingInRedis) !== sorted(removed) || sorted(damaged.value.extraInRedis) !== sorted(strangers)) {
      throw new Error(`damaged reconcile reported ${JSON.stringify({ missing: damaged.value.missingInRedis, extra: damaged.value.extraInRedis })}`);
    }
    const repair = await timed(() => admin.reconcile(couponId, false, WHO));
    if (!repair.value.repaired || !isClean(await admin.reconcile(couponId, true, WHO), o.rows)) throw new Error("reconcile did not repair the damage");

    console.log(`bench-rebuild: rebuild ×${o.repeats}, each next to a plain PostgreSQL read and a plain pipelined SADD`);
    const rounds: { rebuildMs: number; pgReadMs: number; saddMs: number; slowest: Slowest; reference: Slowest }[] = [];
    for (let i = 0; i < o.repeats; i++) {
      const read = await timed(readAll);
      const refKey = `${couponKeys(couponId).meta}:sadd-reference`;
      const sadd = await slowestDuring(probe, (client) => client === PROBE_NAME, () =>
        timed(async () => {
          const pipeline = probe.pipeline();
          for (let j = 0; j < read.value.length; j += REFERENCE_CHUNK) pipeline.sadd(refKey, ...read.value.slice(j, j + REFERENCE_CHUNK));
          await pipeline.exec();
        }),
      );
      await probe.unlink(refKey);
      await loseKeys();
      const rebuild = await slowestDuring(probe, service, () => timed(() => state.ensureLoaded(couponId)));
      await expectAdmitted(o.rows, `rebuild ${i + 1}`);
      rounds.push({ rebuildMs: rebuild.value.ms, pgReadMs: read.ms, saddMs: sadd.value.ms, slowest: rebuild.slowest, reference: sadd.slowest });
    }
    gc();

    console.log(`bench-rebuild: ${o.requests} issue requests spread over one rebuild`);
    await loseKeys();
    const during = await requestsDuringRebuild(`http://127.0.0.1:${app.port}`, couponId, o, median(rounds.map((r) => r.rebuildMs)), probe);
    const { rows: counted } = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "UserCoupon" WHERE "couponId" = $1`, [couponId]);
    const rowsAfter = counted[0]!.n;
    if (rowsAfter !== o.rows + during.issued.length) throw new Error(`the ledger has ${num(rowsAfter)} rows, expected ${num(o.rows + during.issued.length)}`);
    await expectAdmitted(rowsAfter, "after the requests");

    const worst = (xs: Slowest[]) => xs.reduce((a, b) => (b.ms > a.ms ? b : a));
    const results: Results = {
      rebuildMs: rounds.map((r) => r.rebuildMs),
      pgReadMs: rounds.map((r) => r.pgReadMs),
      saddMs: rounds.map((r) => r.saddMs),
      pgReadMemory,
      rebuildSlowest: worst([...rounds.map((r) => r.slowest), during.slowest]),
      referenceSlowest: worst(rounds.map((r) => r.reference)),
      reconcileMs,
      reconcileMemory,
      smallReconcileMemory,
      damagedDryRunMs: damaged.ms,
      repairMs: repair.ms,
      during,
    };
    const summary = report(o, results);
    if (o.json) writeFileSync(o.json, JSON.stringify(summary, null, 2) + "\n");
    return summary;
  } finally {
    await running?.stop();
    await pg?.end();
    const dropped = await freshBenchDatabase(dbUrl.toString()).catch((err: Error) => err.message);
    if (!dropped.endsWith("fresh")) console.error(`bench-rebuild: could not drop the bench database: ${dropped}`);
    probe.disconnect();
    await redisServer.stop();
  }
}

interface DuringRebuild {
  statuses: Record<string, number>;
  /** How long the first request (the one that found Redis empty and started the rebuild) waited for its answer. */
  firstMs: number;
  slowestAnswerMs: number;
  issued: string[];
  failed: string[];
  slowest: Slowest;
}

/**
 * With the coupon's keys gone, sends `o.requests` issue requests spread over
 * about one rebuild's time: odd ones from seeded users (must be 409
 * ALREADY_ISSUED), even ones from fresh users (201 until the spare places
 * are gone, then 409 SOLD_OUT). Anything else counts as failed.
 */
async function requestsDuringRebuild(url: string, couponId: number, o: Options, rebuildMs: number, probe: Redis): Promise<DuringRebuild> {
  const { value, slowest } = await slowestDuring(probe, (client) => client !== PROBE_NAME, async () => {
    const gapMs = rebuildMs / o.requests;
    return Promise.all(
      Array.from({ length: o.requests }, async (_, i) => {
        await sleep(i * gapMs);
        const seeded = i % 2 === 1;
        const userId = seeded ? userIdOf(1 + ((i * 7_919) % o.rows)) : String(FRESH + i);
        const sent = performance.now();
        let outcome: string;
        try {
          const res = await fetch(`${url}/coupons/${couponId}/issue`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ userId }),
          });
          const body = (await res.json().catch(() => ({}))) as { code?: string; status?: string };
          outcome = `${res.status} ${body.code ?? body.status ?? ""}`.trim();
        } catch (err) {
          outcome = `no answer (${(err as Error).message})`;
        }
        const right = seeded ? outcome === "409 ALREADY_ISSUED" : outcome === "201 ISSUED" || outcome === "409 SOLD_OUT";
        return { userId, outcome, right, waitedMs: performance.now() - sent };
      }),
    );
  });
  const statuses: Record<string, number> = {};
  for (const a of value) statuses[a.outcome] = (statuses[a.outcome] ?? 0) + 1;
  return {
    statuses,
    firstMs: value[0]!.waitedMs,
    slowestAnswerMs: Math.max(...value.map((a) => a.waitedMs)),
    issued: value.filter((a) => a.outcome === "201 ISSUED").map((a) => a.userId),
    failed: value.filter((a) => !a.right).map((a) => `${a.userId}: ${a.outcome}`),
    slowest,
  };
}

function report(o: Options, r: Results): Record<string, unknown> {
  const rebuild = median(r.rebuildMs);
  const pgRead = median(r.pgReadMs);
  const sadd = median(r.saddMs);
  const reconcile = median(r.reconcileMs);
  const d = r.during;
  const runs = (xs: number[]) => xs.map(secs).join(", ");
  const pass = {
    rebuild: rebuild <= TARGET.rebuildSeconds * 1000,
    slowestCommand: r.rebuildSlowest.ms <= TARGET.slowestCommandMs,
    reconcile: reconcile <= TARGET.reconcileSeconds * 1000,
    requests: d.failed.length === 0,
  };
  const slow = (s: Slowest) => `${s.command}; p99 ${ms(s.p99Ms)} ms of ${num(s.commands)} commands`;
  const memory = (m: Memory) => `live heap +${mb(m.liveHeapBytes)}, RSS +${mb(m.rssBytes)}`;
  const rows = [
    [`rebuild (ensureLoaded), ${num(o.rows)} users`, `${secs(rebuild)} s`, runs(r.rebuildMs), `≤ ${TARGET.rebuildSeconds} s`, verdict(pass.rebuild)],
    ["  ref: plain PostgreSQL read of the userIds", `${secs(pgRead)} s`, runs(r.pgReadMs), "", ""],
    [`  ref: plain pipelined SADD, ${num(REFERENCE_CHUNK)} a command`, `${secs(sadd)} s`, runs(r.saddMs), "", ""],
    ["  rebuild / (read + SADD)", `${((rebuild / (pgRead + sadd)) * 100).toFixed(0)}%`, "", "", ""],
    ["slowest Redis command, rebuilds + requests", `${ms(r.rebuildSlowest.ms)} ms`, slow(r.rebuildSlowest), `≤ ${TARGET.slowestCommandMs} ms`, verdict(pass.slowestCommand)],
    ["  ref: slowest command of the plain SADD", `${ms(r.referenceSlowest.ms)} ms`, slow(r.referenceSlowest), "", ""],
    [`${o.requests} issue requests during a rebuild`, `${d.failed.length} failed`, Object.entries(d.statuses).map(([k, v]) => `${k} ×${v}`).join(", "), "none failed", verdict(pass.requests)],
    ["  first request waited", `${secs(d.firstMs)} s`, `slowest answer ${secs(d.slowestAnswerMs)} s`, "", ""],
    [`reconcile (dry run), ${num(o.rows)} rows, healthy`, `${secs(reconcile)} s`, runs(r.reconcileMs), `≤ ${TARGET.reconcileSeconds} s`, verdict(pass.reconcile)],
    ["  peak memory growth during reconcile", memory(r.reconcileMemory), `at ${num(o.rows / 5)} rows: ${memory(r.smallReconcileMemory)}`, "bounded", ""],
    ["  ref: the plain read, holding every id", memory(r.pgReadMemory), "", "", ""],
    ["reconcile (dry run), 3 missing + 3 strangers", `${secs(r.damagedDryRunMs)} s`, "scans the whole Redis set too", "", ""],
    ["reconcile (repair) of that damage", `${secs(r.repairMs)} s`, "dry run + rebuild", "", ""],
  ];
  console.log(
    "\n" +
      renderTable({
        title: `Rebuild and reconcile at ${num(o.rows)} issued users (median of ${o.repeats}; private redis-server, SLOWLOG threshold 0)`,
        headers: ["measure", "result", "runs / detail", "target", ""],
        rows,
      }),
  );
  if (d.failed.length) console.log(`\nfailed requests: ${d.failed.slice(0, 10).join("; ")}${d.failed.length > 10 ? " …" : ""}`);
  console.log(`\n${Object.values(pass).every(Boolean) ? "PASS" : "FAIL"}: ${Object.entries(pass).map(([k, v]) => `${k} ${verdict(v)}`).join(", ")}`);
  return {
    rows: o.rows,
    repeats: o.repeats,
    targets: TARGET,
    pass,
    medians: { rebuildMs: rebuild, pgReadMs: pgRead, saddMs: sadd, reconcileMs: reconcile },
    ...r,
    during: { ...d, issued: d.issued.length },
  };
}

// A benchmark: it reports misses, and fails only when the run itself fails.
runCli("bench-rebuild", USAGE, parse, (options) => run(options).then(() => true));
