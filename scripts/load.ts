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
import { operatorToken, startService, type RunningService } from "./load/service";
import { shopperTokensFromEnv, type ShopperTokens } from "./support/shopper-tokens";
import { settlePending } from "./load/settle";

/** With SHOPPER_AUTH=jwt in the environment, the service (started here or at --url) wants shoppers' tokens. */
interface LoadRun {
  readonly options: LoadOptions;
  readonly tokens: ShopperTokens | undefined;
}

/** A token is minted per user before the run: past this, minting would take minutes and gigabytes. */
const MAX_JWT_USERS = 1_000_000;

async function run({ options, tokens }: LoadRun): Promise<boolean> {
  const started = Date.now();
  let service: RunningService | undefined;
  let url = options.url;
  let adminToken = operatorToken();
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
    const runFigures = await drive({ ...options, url, couponId, tokens }, recorder);
    const unsettled = await settlePending(url, couponId, recorder, options.settleSeconds * 1000, tokens);
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
function parse(argv: string[]): LoadRun {
  const options = parseLoadArgs(argv);
  if (options.url && !operatorToken()) throw new UsageError("--url needs ADMIN_TOKEN in the environment (the operator token of that service)");
  const tokens = shopperTokensFromEnv();
  if (tokens && options.users > MAX_JWT_USERS) throw new UsageError(`with SHOPPER_AUTH=jwt, --users is at most ${MAX_JWT_USERS} (a token is minted per user)`);
  return { options, tokens };
}

runCli("load", USAGE, parse, run);
