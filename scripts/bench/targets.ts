/**
 * The targets the project keeps for itself live in targets.json, each with
 * the reason it is kept; this holds them against one run's figures.
 */
import { z } from "zod";
import { STRATEGIES, type StrategyName } from "../../src/issuance/strategy-names";
import type { BenchOptions } from "./args";
import type { ReferenceFigures, RunFigures } from "./http-runs";
import type { Rate } from "./pg-refs";
import type { StrategyResult } from "./strategy-run";
import file from "./targets.json";

export interface BenchResults {
  startedAt: string;
  options: BenchOptions;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  /** Whether the bench database was fresh (dropped and re-created) or reused, and why. */
  database: string;
  /** The service's LOG_LEVEL during the run. */
  logLevel: string;
  /** Each the mean of a pass at the start and one at the end of the run. */
  references: { nodeHttp: ReferenceFigures; express: ReferenceFigures; serviceNoop: ReferenceFigures };
  pgReferences: { singleRow: Rate; multiRow: Rate; lockSerial: Rate };
  strategies: StrategyResult[];
  targets: TargetResult[];
  /** With --cpu-prof: where the service's .cpuprofile files are. */
  profileDir?: string;
  totalSeconds: number;
}

export type Phase = "issuing" | "soldOut";
export const phaseLabel = (phase: Phase) => (phase === "soldOut" ? "sold out" : "issuing");
const httpOf = (s: StrategyResult, phase: Phase): RunFigures => (phase === "issuing" ? s.issuing.http : s.soldOut);

const METRICS = {
  redisCommandsPerRequest: { label: "Redis commands per request", of: (s, p) => s.costs[p].perRequest.redisCommands },
  redisRoundTripsPerRequest: { label: "Redis round trips per request", of: (s, p) => s.costs[p].perRequest.redisRoundTrips },
  pgStatementsPerRequest: { label: "PostgreSQL statements per request", of: (s, p) => s.costs[p].perRequest.pgStatements },
  pgTransactionsPerRequest: { label: "PostgreSQL transactions per request", of: (s, p) => s.costs[p].perRequest.pgTransactions },
  cpuMsPerRequest: { label: "service CPU ms per request", of: (s, p) => s.costs[p].perRequest.cpuMs },
  p99Ms: { label: "p99 ms", of: (s, p) => httpOf(s, p).p99Ms },
  shareOfAdjacentExpress: {
    label: "req/s as a share of bare Express next to it",
    of: (s, p) => httpOf(s, p).requestsPerSecond / s.adjacentExpress.requestsPerSecond,
  },
  // Measured for one strategy's sold-out crowd only (jwt-cost.ts); NaN, a MISS, anywhere else.
  shareWithJwt: {
    label: "req/s with SHOPPER_AUTH=jwt as a share of without",
    of: (s, p) => (s.jwt && p === "soldOut" ? s.jwt.withJwt.requestsPerSecond / s.jwt.withoutJwt.requestsPerSecond : NaN),
  },
} satisfies Record<string, { label: string; of: (s: StrategyResult, phase: Phase) => number }>;

type MetricName = keyof typeof METRICS;

const targetSpec = z
  .object({
    metric: z.enum(Object.keys(METRICS) as [MetricName, ...MetricName[]]),
    phase: z.enum(["issuing", "soldOut"]),
    strategies: z.array(z.enum(STRATEGIES)).min(1),
    atMost: z.number().optional(),
    atLeast: z.number().optional(),
    why: z.string().min(1),
  })
  .refine((t) => (t.atMost === undefined) !== (t.atLeast === undefined), "give exactly one of atMost and atLeast");

export type TargetSpec = z.infer<typeof targetSpec>;

/** targets.json, checked: a misspelt metric or strategy stops the run before it starts. */
export function loadTargets(json: unknown = file): TargetSpec[] {
  return z.object({ targets: z.array(targetSpec) }).parse(json).targets;
}

export interface TargetResult {
  label: string;
  strategy: StrategyName;
  measured: number;
  /** "≤ 0.01", "≥ 0.95". */
  bound: string;
  pass: boolean;
  why: string;
}

/** One result per target and strategy that ran; strategies left out of the run are skipped. */
export function evaluateTargets(specs: readonly TargetSpec[], strategies: readonly StrategyResult[]): TargetResult[] {
  return specs.flatMap((t) =>
    strategies
      .filter((s) => t.strategies.includes(s.strategy))
      .map((s) => {
        const measured = METRICS[t.metric].of(s, t.phase);
        return {
          label: `${phaseLabel(t.phase)}: ${METRICS[t.metric].label}`,
          strategy: s.strategy,
          measured,
          bound: t.atMost !== undefined ? `≤ ${t.atMost}` : `≥ ${t.atLeast}`,
          pass: t.atMost !== undefined ? measured <= t.atMost : measured >= t.atLeast!,
          why: t.why,
        };
      }),
  );
}
