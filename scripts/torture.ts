/**
 * npm run torture -- [--strategy all|redis-set|queue|lock|postgres] [--duration S]
 *   [--faults stall,kill,flush,pg-cut,latency] [--processes K] [--seed N] [--quantity N] [--json FILE]
 *
 * Starts a world of its own (database, redis-server, proxies, K API
 * processes), runs a crowd per strategy while a seeded schedule injects
 * faults, settles, runs a final healthy wave until SOLD_OUT, then checks
 * what every shopper was told against PostgreSQL. The same seed replays the
 * same fault schedule and the same shoppers.
 * Exit codes: 0 PASS, 1 a violation, 2 bad arguments, 3 the run itself failed.
 */
import { runCli } from "./load/args";
import { parseTortureArgs, USAGE, type TortureOptions } from "./torture/args";
import { strategyText, summaryText, writeJsonReport } from "./torture/report";
import { runStrategy, type StrategyRun } from "./torture/run-strategy";
import { startWorld, type World } from "./torture/world";
import { shopperTokensFromEnv } from "./support/shopper-tokens";

async function run(options: TortureOptions): Promise<boolean> {
  console.log(
    `torture: seed ${options.seed} (replay with --seed ${options.seed}), strategies ${options.strategies.join(", ")}, ` +
      `${options.durationSeconds} s each, faults ${options.faults.join(",") || "none"}, ${options.processes} processes, ` +
      `N = ${options.quantity}, ${options.concurrency} in flight`,
  );
  let world: World | undefined;
  let stopWorld: (() => Promise<void>) | undefined;
  // Ctrl-C or a kill must not leave redis-servers, API processes or the database behind.
  const interrupt = (signal: NodeJS.Signals) => {
    console.error(`torture: ${signal}, stopping everything`);
    void (stopWorld?.() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const runs: StrategyRun[] = [];
  try {
    world = await startWorld(options.processes, shopperTokensFromEnv(), (stop) => (stopWorld = stop));
    for (const strategy of options.strategies) {
      const result = await runStrategy(world, options, strategy);
      runs.push(result);
      console.log(`\n${strategyText(result, options)}`);
      if (!result.verdict.ok) printTails(world);
    }
    if (runs.length > 1) console.log(`\n${summaryText(runs, options.seed)}`);
    const ok = runs.every((r) => r.verdict.ok);
    console.log(`\nVERDICT: ${ok ? "PASS" : "FAIL"} (seed ${options.seed})`);
    if (options.json) writeJsonReport(options.json, { ok, seed: options.seed, options, runs });
    return ok;
  } catch (err) {
    // The run itself failed: still leave what was learnt so far.
    if (options.json) writeJsonReport(options.json, { ok: false, seed: options.seed, options, runs, error: (err as Error).message });
    if (world) printTails(world);
    throw err;
  } finally {
    await stopWorld?.();
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
  }
}

function printTails(world: World): void {
  const tail = world.processes.flatMap((p) => p.tail());
  if (tail.length) console.log(`\nLast output of the API processes:\n${tail.join("\n")}`);
}

runCli("torture", USAGE, parseTortureArgs, run);
