/**
 * npm run load -- --strategy <s> --quantity N --users U [--connections C]
 *   [--requests R | --duration S] [--processes K] [--url URL] [--json FILE]
 *
 * Creates a fresh coupon, races U users for it with autocannon, waits for
 * queued work to settle, then checks promises 1–4 of docs/guarantees.md against PostgreSQL and Redis.
 * Exit codes: 0 PASS, 1 a violation, 2 bad arguments, 3 the run itself failed.
 */
import { parseLoadArgs, runCli, USAGE, UsageError, type LoadOptions } from "./load/args";
import { createCoupon } from "./load/api";
import { check } from "./load/checker";
import { drive } from "./load/drive";
import { readLedger } from "./load/inspect";
import { Recorder } from "./load/recorder";
import { printVerdict, writeJson, type LoadReport } from "./load/report";
import { startService, type RunningService } from "./load/service";
import { settlePending } from "./load/settle";

async function run(options: LoadOptions): Promise<boolean> {
  const started = Date.now();
  let service: RunningService | undefined;
  let url = options.url;
  let adminToken = process.env.ADMIN_TOKEN;
  if (!url) {
    service = await startService(options.processes);
    ({ url, adminToken } = service);
  }
  // Ctrl-C must not leave a service behind holding the port.
  const interrupt = () => void (service?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once("SIGINT", interrupt);
  try {
    const couponId = await createCoupon(url, adminToken!, options.strategy, options.quantity);
    const recorder = new Recorder();
    const runFigures = await drive({ ...options, url, couponId }, recorder);
    const unsettled = await settlePending(url, couponId, recorder, options.settleSeconds * 1000);
    // The postgres strategy keeps nothing in Redis, so there is no count to compare.
    const ledger = await readLedger(couponId, options.strategy !== "postgres");
    const result = check({
      quantity: options.quantity,
      answers: recorder.answers,
      ...ledger,
      statusCounts: recorder.statusCounts,
      transportErrors: runFigures.transportErrors,
    });
    const report: LoadReport = {
      ok: result.ok,
      strategy: options.strategy,
      couponId,
      options,
      run: runFigures,
      answers: recorder.statusCounts,
      unsettled,
      settleSeconds: options.settleSeconds,
      figures: result.figures,
      checks: result.checks,
      violations: result.violations,
      totalSeconds: (Date.now() - started) / 1000,
    };
    printVerdict(report);
    if (options.json) writeJson(options.json, report);
    if (!result.ok && service) {
      const tail = service.tail();
      if (tail.length) console.log(`\nLast service output:\n${tail.join("\n")}`);
    }
    return result.ok;
  } finally {
    process.removeListener("SIGINT", interrupt);
    if (service) {
      const code = await service.stop();
      if (code !== 0) console.error(`load: the service exited with code ${code}`);
    }
  }
}

/** --url targets a service this script did not start, so its operator token must come from the environment. */
function parse(argv: string[]): LoadOptions {
  const options = parseLoadArgs(argv);
  if (options.url && !process.env.ADMIN_TOKEN) throw new UsageError("--url needs ADMIN_TOKEN in the environment (the operator token of that service)");
  return options;
}

runCli("load", USAGE, parse, run);
