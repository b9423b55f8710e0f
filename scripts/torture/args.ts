import { isStrategyName, STRATEGIES, type StrategyName } from "../../src/issuance/strategy-names";
import { intArg, strictArgs, UsageError } from "../load/args";

export const FAULT_KINDS = ["stall", "kill", "flush", "pg-cut", "latency"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface TortureOptions {
  strategies: StrategyName[];
  durationSeconds: number;
  faults: FaultKind[];
  processes: number;
  seed: number;
  /** The coupon limit N of each strategy's sale. */
  quantity: number;
  /** Requests kept in flight by the crowd (and the final wave). */
  concurrency: number;
  json?: string;
}

export const USAGE =
  `usage: npm run torture -- [--strategy all|${STRATEGIES.join("|")}] [--duration S] ` +
  "[--faults stall,kill,flush,pg-cut,latency|none] [--processes K] [--seed N] [--quantity N] " +
  "[--concurrency C] [--json FILE]";

/** Coupons per second of crowd: enough that the sale does not sell out in its first second. */
const QUANTITY_PER_SECOND = 150;

export function parseTortureArgs(argv: string[]): TortureOptions {
  const v = strictArgs(
    argv,
    {
      strategy: { type: "string" },
      duration: { type: "string" },
      faults: { type: "string" },
      processes: { type: "string" },
      seed: { type: "string" },
      quantity: { type: "string" },
      concurrency: { type: "string" },
      json: { type: "string" },
    },
    USAGE,
  );
  const durationSeconds = intArg("duration", v.duration, 60, 3600);
  return {
    strategies: parseStrategies(v.strategy ?? "all"),
    durationSeconds,
    faults: parseFaults(v.faults ?? FAULT_KINDS.join(",")),
    processes: intArg("processes", v.processes, 2, 16),
    // Without --seed a run is still replayable: the seed it drew is printed first.
    seed: intArg("seed", v.seed, 1 + Math.floor(Math.random() * (2 ** 31 - 1)), 2 ** 31),
    quantity: intArg("quantity", v.quantity, QUANTITY_PER_SECOND * durationSeconds, 10_000_000),
    concurrency: intArg("concurrency", v.concurrency, 200, 2_000),
    json: v.json,
  };
}

function parseStrategies(raw: string): StrategyName[] {
  if (raw === "all") return [...STRATEGIES];
  if (!isStrategyName(raw)) {
    throw new UsageError(`--strategy must be all or one of ${STRATEGIES.join(", ")}; got "${raw}"`);
  }
  return [raw];
}

function parseFaults(raw: string): FaultKind[] {
  if (raw === "none") return [];
  const kinds = raw.split(",").map((s) => s.trim());
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) {
      throw new UsageError(`--faults takes a comma-separated list of ${FAULT_KINDS.join(", ")} (or none); got "${k}"`);
    }
  }
  return [...new Set(kinds)] as FaultKind[];
}
