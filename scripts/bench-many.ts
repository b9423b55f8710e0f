/**
 * npm run bench:many -- [--coupons C=1000] [--quantity Q=100] [--connections N=100] [--duration S=12]
 *   [--repeats R=1] [--strategy redis-set] [--seed X] [--json FILE]
 *
 * C coupons of Q places selling at once next to one coupon of C×Q, on one
 * service process (see bench/many-coupons.ts): rows per second and
 * PostgreSQL commits per row of each. Its own stores, so nothing else's
 * commits blur the count: a redis-server it starts on a free port, and the
 * database BENCH_MANY_DATABASE_URL (default the bench database's name with
 * "_many_bench", dropped, then created again by the service).
 * Exit codes: 0 done (targets may MISS), 1 a ledger mismatch, 2 bad arguments, 3 the run itself failed.
 */
import { writeFileSync } from "node:fs";
import { isStrategyName, STRATEGIES, type StrategyName } from "../src/issuance/strategy-names";
import { BENCH_DATABASE_URL, BENCH_SERVICE_ENV, freshBenchDatabase } from "./bench/bench-env";
import { manyCouponsTable, measureManyCoupons } from "./bench/many-coupons";
import { connect } from "./bench/pg-refs";
import { renderTable } from "./bench/table";
import { intArg, runCli, strictArgs, UsageError } from "./load/args";
import { startService } from "./load/service";
import { startRedisServer } from "./support/redis-server";

const DATABASE_URL = process.env.BENCH_MANY_DATABASE_URL ?? BENCH_DATABASE_URL.replace(/_bench$/, "_many_bench");
const USAGE =
  "usage: npm run bench:many -- [--coupons C=1000] [--quantity Q=100] [--connections N=100] [--duration S=12] [--repeats R=1] " +
  `[--strategy ${STRATEGIES.join("|")}=redis-set] [--seed X] [--json FILE]`;

interface Options {
  coupons: number;
  quantity: number;
  connections: number;
  durationSeconds: number;
  repeats: number;
  strategy: StrategyName;
  seed: number;
  json?: string;
}

function parse(argv: string[]): Options {
  const v = strictArgs(
    argv,
    {
      coupons: { type: "string" }, quantity: { type: "string" }, connections: { type: "string" }, duration: { type: "string" }, repeats: { type: "string" },
      strategy: { type: "string" }, seed: { type: "string" }, json: { type: "string" },
    },
    USAGE,
  );
  const strategy = v.strategy ?? "redis-set";
  if (!isStrategyName(strategy)) throw new UsageError(`--strategy takes one of ${STRATEGIES.join(", ")}; got "${strategy}"`);
  return {
    coupons: intArg("coupons", v.coupons, 1_000, 100_000),
    quantity: intArg("quantity", v.quantity, 100, 100_000),
    connections: intArg("connections", v.connections, 100, 10_000),
    durationSeconds: intArg("duration", v.duration, 12, 600),
    repeats: intArg("repeats", v.repeats, 1, 9),
    strategy,
    seed: intArg("seed", v.seed, 1, 2 ** 31),
    json: v.json,
  };
}

async function run(o: Options): Promise<boolean> {
  const say = (line: string) => console.log(`bench-many: ${line}`);
  const redis = await startRedisServer();
  Object.assign(process.env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: "", DATABASE_URL });
  say(`${await freshBenchDatabase(DATABASE_URL)}; a redis-server of its own on port ${redis.port}`);
  try {
    const service = await startService(1, 60_000, { env: BENCH_SERVICE_ENV });
    process.once("SIGINT", () => void service.stop().finally(() => process.exit(130)));
    const pg = await connect();
    try {
      const result = await measureManyCoupons({ service, pg, ...o }, say);
      console.log("\n" + renderTable(manyCouponsTable(result)));
      if (o.json) writeFileSync(o.json, JSON.stringify({ options: o, ...result }, null, 2));
      return result.pairs.every((x) => x.one.ledgerMismatches === 0 && x.many.ledgerMismatches === 0);
    } finally {
      await pg.end();
      const code = await service.stop();
      if (code !== 0) console.error(`bench-many: the service exited with code ${code}\n${service.tail().join("\n")}`);
    }
  } finally {
    await redis.stop();
  }
}

runCli("bench-many", USAGE, parse, run);
