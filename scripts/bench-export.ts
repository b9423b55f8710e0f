/**
 * npm run bench:export -- [--rows N=1000000] [--slow-seconds S=5]
 *
 * The memory of the service process while it exports a coupon of N winners
 * as CSV (GET /coupons/:id/issuances.csv). The service runs as its own
 * process (dist/src/main.js); its resident set size is read from
 * /proc/<pid>/status every 20 ms, before and during two downloads:
 *
 * - fast: the whole CSV read as fast as this process can;
 * - slow: for the first S seconds the reader takes 64 KiB every 100 ms
 *   (about 640 KiB/s), then the rest at full speed. A server that ignored
 *   backpressure would buffer the difference in its memory.
 *
 * Each download is checked: N lines plus the header, in issue order. The
 * rows are seeded with one INSERT ... SELECT generate_series, in a database
 * of its own (coupons_export_bench, dropped first; a postgres-strategy coupon,
 * so nothing is written to Redis). Target: peak RSS under
 * 200 MB. Exit code 0 unless the run itself failed (3) or the arguments
 * were bad (2): it is a benchmark, not a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { migrate } from "../src/db/migrate";
import { intArg, runCli, strictArgs } from "./load/args";

const USAGE = "usage: npm run bench:export -- [--rows N=1000000] [--slow-seconds S=5]";
const TARGET_RSS_MB = 200;
const DATABASE_URL = process.env.BENCH_EXPORT_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/coupons_export_bench";
const ADMIN_TOKEN = "bench-export-admin-token";
const PORT = Number(process.env.BENCH_EXPORT_PORT ?? 3977);
const MAIN = path.resolve(__dirname, "../src/main.js");

interface Options { rows: number; slowSeconds: number }

function parse(argv: string[]): Options {
  const values = strictArgs(argv, { rows: { type: "string" }, "slow-seconds": { type: "string" } }, USAGE);
  return { rows: intArg("rows", values.rows, 1_000_000, 10_000_000), slowSeconds: intArg("slow-seconds", values["slow-seconds"], 5, 600) };
}

const mb = (kb: number) => (kb / 1024).toFixed(0);
/** A winner's userId by issue position: scattered, so issue order is not userId order. */
const userIdAt = (g: number) => String((BigInt(g) * 7919n) % 10_000_019n + 1n);

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** Peak RSS of `pid` while `work` runs, sampled every 20 ms. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ peakKb: number; value: T }> {
  let peakKb = rssKb(pid);
  const timer = setInterval(() => (peakKb = Math.max(peakKb, rssKb(pid))), 20);
  try {
    const value = await work();
    return { peakKb: Math.max(peakKb, rssKb(pid)), value };
  } finally {
    clearInterval(timer);
  }
}

async function startService(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, DATABASE_URL, REDIS_KEY_PREFIX: "bench-export:", ADMIN_TOKEN, PORT: String(PORT), LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; i < 300; i++) {
    if (await fetch(`http://127.0.0.1:${PORT}/readyz`).then((r) => r.ok, () => false)) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error("the service did not become ready");
}

/** Every run starts from an empty database of its own (the postgres strategy leaves nothing in Redis). */
async function dropDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name.endsWith("_bench")) throw new Error(`refusing to drop ${name}: only *_bench databases are dropped`);
  url.pathname = "/postgres";
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

async function seed(rows: number): Promise<number> {
  const created = await fetch(`http://127.0.0.1:${PORT}/coupons`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "export bench", totalQuantity: rows, strategy: "postgres" }),
  });
  const { id } = (await created.json()) as { id: number };
  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  try {
    await db.query("BEGIN");
    await db.query(
      `INSERT INTO "UserCoupon" ("couponId", "userId", "issuedAt")
       SELECT $1, (g::bigint * 7919) % 10000019 + 1, now() + g * interval '1 microsecond' FROM generate_series(1, $2::int) g`,
      [id, rows],
    );
    await db.query(`UPDATE "Coupon" SET "issuedCount" = $2 WHERE id = $1`, [id, rows]);
    await db.query("COMMIT");
    await db.query(`ANALYZE "UserCoupon"`);
  } finally {
    await db.end();
  }
  return id;
}

/** Downloads the CSV, checking every line; `slowMs`: read slowly for that long first. Returns the rows and bytes read. */
async function download(couponId: number, rows: number, slowMs: number): Promise<{ rows: number; bytes: number; ms: number }> {
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${PORT}/coupons/${couponId}/issuances.csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
  const decoder = new TextDecoder();
  let carry = "";
  let line = -1; // the header is line -1
  let bytes = 0;
  const check = (text: string) => {
    if (line === -1) {
      if (text !== "userId,issuedAt") throw new Error(`header is ${text}`);
    } else if (text.slice(0, text.indexOf(",")) !== userIdAt(line + 1)) {
      throw new Error(`line ${line + 1} is ${text}, expected user ${userIdAt(line + 1)}`);
    }
    line++;
  };
  const reader = res.body.getReader();
  for (;;) {
    if (Date.now() - started < slowMs) await new Promise((r) => setTimeout(r, 100));
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    const lines = (carry + decoder.decode(value, { stream: true })).split("\n");
    carry = lines.pop()!;
    for (const l of lines) check(l);
  }
  if (carry) check(carry);
  if (line !== rows) throw new Error(`${line} rows exported, expected ${rows}`);
  return { rows: line, bytes, ms: Date.now() - started };
}

async function run(options: Options): Promise<boolean> {
  await dropDatabase();
  await migrate(DATABASE_URL);
  const service = await startService();
  try {
    const couponId = await seed(options.rows);
    const idleKb = rssKb(service.pid!);
    const fast = await peakRss(service.pid!, () => download(couponId, options.rows, 0));
    const slow = await peakRss(service.pid!, () => download(couponId, options.rows, options.slowSeconds * 1000));
    const peakKb = Math.max(fast.peakKb, slow.peakKb);
    console.log(`service RSS before exports: ${mb(idleKb)} MB`);
    for (const [name, r] of [["fast reader", fast], [`slow reader (${options.slowSeconds} s at ~640 KiB/s first)`, slow]] as const) {
      const { rows, bytes, ms } = r.value;
      console.log(
        `${name}: ${rows.toLocaleString("en")} rows in order, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${(ms / 1000).toFixed(1)} s; peak RSS ${mb(r.peakKb)} MB`,
      );
    }
    const ok = peakKb < TARGET_RSS_MB * 1024;
    console.log(`peak RSS ${mb(peakKb)} MB (target < ${TARGET_RSS_MB} MB): ${ok ? "PASS" : "FAIL"}`);
    return true;
  } finally {
    service.kill("SIGTERM");
  }
}

runCli("bench:export", USAGE, parse, run);
