/**
 * npm run bench:queue -- [--quantity Q=10000] [--connections C=200] [--repeats R=3] [--workers K=1] [--cpu-prof]
 *
 * Rows the queue strategy persists per second once Q admissions are
 * queued (workers held back by the coupon's row lock while Q distinct users
 * are admitted over HTTP, then released), next to plain 500-row
 * multi-VALUES INSERTs of Q rows into the same table, measured in the same
 * run, interleaved, R times each; medians. Target: queue ≥ 50% of the INSERTs.
 * Stores: as npm run bench (its own redis-server, BENCH_DATABASE_URL).
 * Exit codes: 0 PASS, 1 MISS, 2 bad arguments, 3 the run itself failed.
 */
import path from "node:path";
import { useBenchStores } from "./bench/bench-env";
import { connect, createRefCoupon, multiRowInserts } from "./bench/pg-refs";
import { drainVsInserts, MAX_CLEAN_HOLD_SECONDS, measureQueueDrain, type DrainComparison } from "./bench/queue-drain";
import { num, pct, renderTable } from "./bench/table";
import { intArg, runCli, strictArgs } from "./load/args";
import { startService } from "./load/service";

const NEED = 0.5;
const WARM_UP_QUANTITY = 2_000;
const USAGE = "usage: npm run bench:queue -- [--quantity Q=10000] [--connections C=200] [--repeats R=3] [--workers K=1] [--cpu-prof]";

interface Options { quantity: number; connections: number; repeats: number; workers: number; cpuProf: boolean }

function parse(argv: string[]): Options {
  const values = strictArgs(
    argv,
    {
        quantity: { type: "string" }, connections: { type: "string" }, repeats: { type: "string" },
        workers: { type: "string" }, "cpu-prof": { type: "boolean" },
    },
    USAGE,
  );
  return {
    quantity: intArg("quantity", values.quantity, 10_000, 1_000_000),
    connections: intArg("connections", values.connections, 200, 10_000),
    repeats: intArg("repeats", values.repeats, 3, 21),
    workers: intArg("workers", values.workers, 1, 64),
    cpuProf: values["cpu-prof"] ?? false,
  };
}

async function run(o: Options): Promise<boolean> {
  const profileDir = path.resolve("bench-results", `queue-${new Date().toISOString().replace(/[:.]/g, "-")}`, "profiles");
  const stores = await useBenchStores();
  const database = stores.note;
  let cmp: DrainComparison;
  try {
    const service = await startService(o.workers, 60_000, { nodeArgs: o.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [] });
    process.once("SIGINT", () => void service.stop().finally(() => process.exit(130)));
    const pg = await connect();
    try {
      console.log(`bench-queue: warm-up (${WARM_UP_QUANTITY} queued, ${WARM_UP_QUANTITY} inserted), then ${o.repeats}× ${num(o.quantity)} each, interleaved`);
      await measureQueueDrain(service, pg, WARM_UP_QUANTITY, o.connections, 99);
      await multiRowInserts(pg, await createRefCoupon(pg, 10_000_000, "bench-queue warm-up"), WARM_UP_QUANTITY);
      cmp = await drainVsInserts(service, pg, o.quantity, o.connections, o.repeats, true);
    } finally {
      const code = await service.stop();
      if (code !== 0) console.error(`bench-queue: the service exited with code ${code}\n${service.tail().join("\n")}`);
      await pg.end();
    }
  } finally {
    await stores.redis.stop();
  }
  const { drains, inserts } = cmp;
  const queueRate = cmp.drain!.rowsPerSecond;
  const insertRate = cmp.insert.perSecond;
  const ratio = queueRate / insertRate;
  const rows = drains.map((d, i) => [
    String(i + 1), num(d.rowsPerSecond), d.seconds.toFixed(3), num(inserts[i]!.perSecond), inserts[i]!.seconds.toFixed(3),
    pct(d.rowsPerSecond / inserts[i]!.perSecond), `${num(d.admissionRps)} req/s, ${d.heldSeconds.toFixed(1)} s` + (d.heldSeconds > MAX_CLEAN_HOLD_SECONDS ? " (long hold: suspect)" : ""),
  ]);
  rows.push(["median", num(queueRate), "", num(insertRate), "", pct(ratio), ""]);
  console.log("\n" + renderTable({
    title: `Queue drain vs plain INSERTs: ${num(o.quantity)} rows, ${o.workers} service process(es), QUEUE_BATCH_SIZE=${process.env.QUEUE_BATCH_SIZE ?? 500}, LOG_LEVEL=warn, ${database}`,
    headers: ["run", "queue rows/s", "drain s", "500-row INSERT rows/s", "insert s", "queue/insert", "admission (workers held)"],
    numeric: [1, 2, 3, 4, 5],
    rows,
  }));
  if (o.cpuProf) console.log(`\nService CPU profiles: ${profileDir}/*.cpuprofile (open them in Chrome DevTools, Performance panel)`);
  // The verdict is the ratio of the medians; the paired ratios show how much of a MISS or PASS is the machine's noise.
  const paired = drains.map((d, i) => d.rowsPerSecond / inserts[i]!.perSecond).sort((x, y) => x - y);
  console.log(`\npaired ratios, run by run: ${paired.map(pct).join(", ")} (median ${pct(paired[Math.floor(paired.length / 2)]!)})`);
  const pass = ratio >= NEED;
  console.log(`\nqueue drain ${num(queueRate)} rows/s = ${pct(ratio)} of plain 500-row INSERTs (${num(insertRate)} rows/s); need ≥ ${pct(NEED)}: ${pass ? "PASS" : "MISS"}`);
  return pass;
}

runCli("bench-queue", USAGE, parse, run);
