/**
 * npm run bench:many -- [--coupons C=1000] [--quantity Q=100] [--connections N=100] [--duration S=12]
 *   [--repeats R=1] [--strategy redis-set] [--seed X] [--json FILE]
 *
 * C coupons of Q places selling at once next to one coupon of C×Q, on one
 * service process (see bench/many-coupons.ts): rows per second and
 * PostgreSQL commits per row of each. Its own database and key prefix, so a
 * concurrent `npm run bench` does not blur the commit counts:
 * BENCH_MANY_DATABASE_URL (default the bench database's name + "_many_bench"),
 * BENCH_MANY_REDIS_KEY_PREFIX (default "bench-many:").
 * Exit codes: 0 done (targets may MISS), 1 a ledger mismatch, 2 bad arguments, 3 the run itself failed.
 */
import { writeFileSync } from "node:fs";
import { Redis } from "ioredis";
import { isStrategyName, STRATEGIES, type StrategyName } from "../src/issuance/strategy-names";
import { intArg } from "./bench/args";
import { BENCH_DATABASE_URL, freshBenchDatabase } from "./bench/bench-env";
import { dropPrefixKeys } from "./bench/cleanup";
import { manyCouponsTable, measureManyCoupons } from "./bench/many-coupons";
import { connect } from "./bench/pg-refs";
import { renderText } from "./bench/table";
import { runCli, strictArgs, UsageError } from "./load/args";
import { redisUrl } from "./load/inspect";
import { startService } from "./load/service";

const DATABASE_URL = process.env.BENCH_MANY_DATABASE_URL ?? BENCH_DATABASE_URL.replace(/_bench$/, "_many_bench");
const KEY_PREFIX = process.env.BENCH_MANY_REDIS_KEY_PREFIX ?? "bench-many:";
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
  process.env.DATABASE_URL = DATABASE_URL;
  process.env.REDIS_KEY_PREFIX = KEY_PREFIX;
  const say = (line: string) => console.log(`bench-many: ${line}`);
  say(await freshBenchDatabase(DATABASE_URL, KEY_PREFIX));
  const service = await startService(1, 60_000);
  process.once("SIGINT", () => void service.stop().finally(() => process.exit(130)));
  const pg = await connect();
  try {
    const result = await measureManyCoupons({ service, pg, ...o }, say);
    console.log("\n" + renderText(manyCouponsTable(result)));
    if (o.json) writeFileSync(o.json, JSON.stringify({ options: o, ...result }, null, 2));
    return result.pairs.every((x) => x.one.ledgerMismatches === 0 && x.many.ledgerMismatches === 0);
  } finally {
    await pg.end();
    const code = await service.stop();
    if (code !== 0) console.error(`bench-many: the service exited with code ${code}\n${service.tail().join("\n")}`);
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    await dropPrefixKeys(redis, KEY_PREFIX).catch(() => undefined);
    redis.disconnect();
  }
}

runCli("bench-many", USAGE, parse, run);
