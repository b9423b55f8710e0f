import { parseArgs } from "node:util";
import { loadConfig } from "../src/config";
import type { ReconcileReport } from "../src/issuance/coupon-admin";
import { createLogger } from "../src/logger";
import { waitUntilReady } from "../src/redis/client";
import { createServices } from "../src/services";

/**
 * npm run reconcile -- [--coupon ID] [--dry-run] [--json]
 *
 * Compares Redis with PostgreSQL for one coupon (or all), reports every
 * difference and, unless --dry-run, rebuilds Redis from PostgreSQL. Safe
 * while a sale is live: PostgreSQL enforces the limit whatever Redis holds.
 * Exit code 1 when a dry run finds differences.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { coupon: { type: "string" }, "dry-run": { type: "boolean", default: false }, json: { type: "boolean", default: false } },
  });
  if (values.coupon !== undefined && !/^[1-9]\d{0,9}$/.test(values.coupon)) {
    console.error("--coupon must be a positive integer");
    return 2;
  }
  const config = loadConfig();
  const services = createServices(config, createLogger("warn"));
  try {
    await waitUntilReady(services.redis, 5_000);
    const { admin } = services.deps;
    const ids = values.coupon ? [Number(values.coupon)] : await admin.ids();
    let differing = 0;
    for (const id of ids) {
      const report = await admin.reconcile(id, values["dry-run"]);
      if (differs(report)) differing++;
      console.log(values.json ? JSON.stringify(report) : describe(report));
    }
    console.log(`${ids.length} coupon(s) checked, ${differing} with differences${values["dry-run"] ? " (dry run: nothing repaired)" : ""}`);
    return values["dry-run"] && differing > 0 ? 1 : 0;
  } finally {
    await services.close();
  }
}

const differs = (r: ReconcileReport) =>
  !!r.redis && (!r.redis.loaded || r.missingInRedis.length > 0 || r.extraInRedis.length > 0 || r.limitMismatch || r.counterMismatch);

function describe(r: ReconcileReport): string {
  if (!r.redis) return `coupon ${r.couponId} (${r.strategy}): no Redis state; ${r.postgres.rows} rows`;
  const parts = [
    `rows ${r.postgres.rows}/${r.postgres.totalQuantity}`,
    `redis ${r.redis.loaded ? `${r.redis.admitted}/${r.redis.limit}` : "not loaded"}`,
    `missing in Redis ${r.missingInRedis.length}`,
    `extra in Redis ${r.extraInRedis.length}`,
  ];
  if (r.limitMismatch) parts.push("limit differs");
  if (r.counterMismatch) parts.push("COUNTER DIFFERS FROM ROWS");
  return `coupon ${r.couponId} (${r.strategy}): ${parts.join(", ")}${r.repaired ? " -> repaired" : ""}`;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`reconcile failed: ${err.message}`);
    process.exit(3);
  },
);
