import { isStrategyName, STRATEGIES, type StrategyName } from "../../src/issuance/strategy-names";
import { intArg, UsageError, strictArgs } from "../load/args";

export interface BenchOptions {
  connections: number;
  /** Seconds of each fixed-duration run: the references and every sold-out phase. */
  durationSeconds: number;
  /** Coupons per strategy in the issuing phase. */
  quantity: number;
  strategies: StrategyName[];
  /** Service processes (WORKERS). */
  workers: number;
  seed: number;
  /** Profile the service child with --cpu-prof; the .cpuprofile files go beside the reports. */
  cpuProf: boolean;
  /** Results go to <out>/<timestamp>/. */
  out: string;
}

export const BENCH_USAGE =
  "usage: npm run bench -- [--connections C=200] [--duration S=5] [--quantity Q=5000] " +
  `[--strategies ${STRATEGIES.join(",")}] [--workers K=1] [--seed X] [--cpu-prof] [--out DIR=bench-results]`;

export function parseBenchArgs(argv: string[]): BenchOptions {
  const values = strictArgs(
    argv,
    {
      connections: { type: "string" },
      duration: { type: "string" },
      quantity: { type: "string" },
      strategies: { type: "string" },
      workers: { type: "string" },
      seed: { type: "string" },
      "cpu-prof": { type: "boolean" },
      out: { type: "string" },
    },
    BENCH_USAGE,
  );
  const strategies = (values.strategies ?? STRATEGIES.join(",")).split(",").map((raw) => {
    const s = raw.trim();
    if (!isStrategyName(s)) throw new UsageError(`--strategies takes a comma-separated list of ${STRATEGIES.join(", ")}; got "${s}"`);
    return s;
  });
  if (new Set(strategies).size !== strategies.length) throw new UsageError("--strategies lists a strategy twice");
  return {
    connections: intArg("connections", values.connections, 200, 10_000),
    durationSeconds: intArg("duration", values.duration, 5, 600),
    quantity: intArg("quantity", values.quantity, 5_000, 10_000_000),
    strategies,
    workers: intArg("workers", values.workers, 1, 64),
    seed: intArg("seed", values.seed, 1, 2 ** 31),
    cpuProf: values["cpu-prof"] ?? false,
    out: values.out ?? "bench-results",
  };
}
