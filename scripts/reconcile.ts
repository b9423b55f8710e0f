import { loadConfig } from "../src/config";
import { cliActor } from "../src/db/audit-log";
import type { ReconcileReport } from "../src/issuance/coupon-admin";
import { createLogger } from "../src/logger";
import { waitUntilReady } from "../src/redis/client";
import { createServices } from "../src/services";
import { runCli, strictArgs, UsageError } from "./load/args";

/**
 * npm run reconcile -- [--coupon ID] [--dry-run] [--json]
 *
 * Compares Redis with PostgreSQL for one coupon (or all), reports every
 * difference and, unless --dry-run, rebuilds Redis from PostgreSQL. Safe
 * while a sale is live: PostgreSQL enforces the limit whatever Redis holds.
 * It builds the services but never starts them: no queue worker or hold
 * sweeper runs here. Exit code 1 when a dry run finds differences.
 */
const USAGE = "usage: npm run reconcile -- [--coupon ID] [--dry-run] [--json]";

interface ReconcileOptions {
  readonly couponId?: number;
  readonly dryRun: boolean;
  readonly json: boolean;
}

function parse(argv: string[]): ReconcileOptions {
  const values = strictArgs(argv, { coupon: { type: "string" }, "dry-run": { type: "boolean" }, json: { type: "boolean" } }, USAGE);
  if (values.coupon !== undefined && !/^[1-9]\d{0,9}$/.test(values.coupon)) throw new UsageError("--coupon must be a positive integer");
  return { couponId: values.coupon === undefined ? undefined : Number(values.coupon), dryRun: values["dry-run"] ?? false, json: values.json ?? false };
}

/** False (exit 1) when a dry run finds differences. */
async function run(options: ReconcileOptions): Promise<boolean> {
  const config = loadConfig();
  const services = createServices(config, createLogger("warn"));
  try {
    await waitUntilReady(services.redis, 5_000);
    const { admin } = services.deps;
    const who = cliActor("reconcile");
    const ids = options.couponId !== undefined ? [options.couponId] : await admin.ids();
    let differing = 0;
    for (const id of ids) {
      const report = await admin.reconcile(id, options.dryRun, who);
      if (differs(report)) differing++;
      console.log(options.json ? JSON.stringify(report) : describe(report));
    }
    console.log(`${ids.length} coupon(s) checked, ${differing} with differences${options.dryRun ? " (dry run: nothing repaired)" : ""}`);
    return !(options.dryRun && differing > 0);
  } finally {
    await services.close();
  }
}

const differs = (r: ReconcileReport) =>
  !!r.redis && (!r.redis.loaded || r.missingInRedis.length > 0 || r.extraInRedis.length > 0 || r.limitMismatch || r.saleMismatch || r.counterMismatch);

function describe(r: ReconcileReport): string {
  if (!r.redis) return `coupon ${r.couponId} (${r.strategy}): no Redis state; ${r.postgres.rows} rows`;
  const parts = [
    `rows ${r.postgres.rows}/${r.postgres.totalQuantity}`,
    `redis ${r.redis.loaded ? `${r.redis.admitted}/${r.redis.limit}` : "not loaded"}`,
    `missing in Redis ${r.missingInRedis.length}`,
    `extra in Redis ${r.extraInRedis.length}`,
  ];
  if (r.limitMismatch) parts.push("limit differs");
  if (r.saleMismatch) parts.push("sale state differs");
  if (r.counterMismatch) parts.push("COUNTER DIFFERS FROM ROWS");
  return `coupon ${r.couponId} (${r.strategy}): ${parts.join(", ")}${r.repaired ? " -> repaired" : ""}`;
}

runCli("reconcile", USAGE, parse, run);
