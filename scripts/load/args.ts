import { parseArgs, type ParseArgsConfig } from "node:util";
import { isStrategyName, STRATEGIES, type StrategyName } from "../../src/issuance/strategy-names";

export interface LoadOptions {
  strategy: StrategyName;
  quantity: number;
  users: number;
  connections: number;
  /** Exactly one of requests / durationSeconds is set. */
  requests?: number;
  durationSeconds?: number;
  processes: number;
  /** Target a running service instead of starting one. */
  url?: string;
  json?: string;
  seed: number;
  settleSeconds: number;
}

/** Bad arguments: the script prints the message on one line and exits 2. */
export class UsageError extends Error {}

type Flags = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses flags strictly (no positionals, no unknown flags); any problem, or
 * --help, becomes a one-line UsageError.
 */
export function strictArgs<T extends Flags>(argv: string[], options: T, usage: string) {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...options, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
  if (values.help) throw new UsageError(usage);
  return values as ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"];
}

export const USAGE =
  `usage: npm run load -- --strategy ${STRATEGIES.join("|")} --quantity N --users U ` +
  "[--connections C] [--requests R | --duration S] [--processes K] [--url URL] [--json FILE] " +
  "[--seed X] [--settle-timeout S]";

export function parseLoadArgs(argv: string[]): LoadOptions {
  const values = strictArgs(
    argv,
    {
      strategy: { type: "string" },
      quantity: { type: "string" },
      users: { type: "string" },
      connections: { type: "string" },
      requests: { type: "string" },
      duration: { type: "string" },
      processes: { type: "string" },
      url: { type: "string" },
      json: { type: "string" },
      seed: { type: "string" },
      "settle-timeout": { type: "string" },
    },
    USAGE,
  );

  const strategy = values.strategy;
  if (!strategy) throw new UsageError(`--strategy is required (${STRATEGIES.join(", ")})`);
  if (!isStrategyName(strategy)) {
    throw new UsageError(`--strategy must be one of ${STRATEGIES.join(", ")}; got "${strategy}"`);
  }
  if (values.requests !== undefined && values.duration !== undefined) {
    throw new UsageError("give --requests or --duration, not both");
  }
  if (values.url !== undefined) {
    if (!/^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(values.url)) throw new UsageError(`--url must look like http://host:port; got "${values.url}"`);
    if (values.processes !== undefined) throw new UsageError("--processes only applies when the script starts the service (no --url)");
  }

  const quantity = intArg("quantity", values.quantity, undefined, 10_000_000);
  const users = intArg("users", values.users, undefined, 100_000_000);
  const duration = values.duration === undefined ? undefined : intArg("duration", values.duration, undefined, 3600);
  // Without a bound, send three requests per user: everyone is heard and repeats happen.
  const requests = duration !== undefined ? undefined : intArg("requests", values.requests, users * 3, 100_000_000);
  let connections = intArg("connections", values.connections, 100, 10_000);
  // autocannon refuses more connections than requests; fewer connections is what was meant.
  if (requests !== undefined && connections > requests) connections = requests;

  return {
    strategy,
    quantity,
    users,
    connections,
    requests,
    durationSeconds: duration,
    processes: intArg("processes", values.processes, 1, 64),
    url: values.url?.replace(/\/$/, ""),
    json: values.json,
    seed: intArg("seed", values.seed, 1, 2 ** 31),
    settleSeconds: intArg("settle-timeout", values["settle-timeout"], 60, 3600),
  };
}

/** An integer flag from 1 to `max`; `fallback` when absent, or required when there is none. */
export function intArg(name: string, raw: string | undefined, fallback: number | undefined, max: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`--${name} must be an integer from 1 to ${max}; got "${raw}"`);
  }
  return Number(raw);
}

/**
 * Every script's entry point: parse the arguments (--help prints the usage
 * and exits 0; a UsageError prints one line and exits 2), then run. Exit 0
 * when the run passed, 1 when it found a violation (or missed a target it
 * gates on), 3 when the run itself failed.
 */
export function runCli<O>(name: string, usage: string, parse: (argv: string[]) => O, run: (options: O) => Promise<boolean>): void {
  let options: O;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message === usage) {
      console.log(usage);
      process.exit(0);
    }
    console.error(`${name}: ${err.message}`);
    process.exit(2);
  }
  run(options).then(
    (ok) => process.exit(ok ? 0 : 1),
    (err) => {
      console.error(`${name}: the run failed: ${(err as Error).stack ?? err}`);
      process.exit(3);
    },
  );
}
