/**
 * Fixed-duration HTTP runs, the same workload for every target: the three
 * no-op references and each strategy's sold-out phase. Reuses the load
 * script's driver, so every run books every answer the same way.
 */
import path from "node:path";
import { drive, type DriveFigures, type DrivePlan } from "../load/drive";
import { Recorder } from "../load/recorder";
import { startService, type RunningService } from "../load/service";

/** Long enough for V8 to optimise the hot path of a fresh process, short enough to fit the 3-minute budget. */
export const WARM_UP_SECONDS = 1;

export interface RunFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  durationSeconds: number;
  sent: number;
  answered: number;
  /** Answers by "status CODE", for this run only. */
  statusCounts: Record<string, number>;
  transportErrors: number;
}

export type RunPlan = Omit<DrivePlan, "requests" | "stopWhen" | "warmConnections"> & { durationSeconds: number };

export function toRunFigures(f: DriveFigures, statusCounts: Record<string, number>): RunFigures {
  return {
    requestsPerSecond: f.throughputRps,
    p50Ms: f.latencyP50Ms,
    p99Ms: f.latencyP99Ms,
    durationSeconds: f.durationSeconds,
    sent: f.sent,
    answered: f.answered,
    statusCounts,
    transportErrors: f.transportErrors,
  };
}

/** What `after` holds beyond `before`: one phase's answers out of a recorder shared by two. */
export function countsSince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n - (before[k] ?? 0) > 0) out[k] = n - (before[k] ?? 0);
  return out;
}

/** Drives `plan` for its duration; answers go to `recorder` (a fresh one unless the caller needs them). */
export async function timedRun(plan: RunPlan, recorder = new Recorder()): Promise<RunFigures> {
  const before = { ...recorder.statusCounts };
  // Connections open before the clock starts: every target is timed at 200 established connections.
  const figures = await drive({ ...plan, warmConnections: true }, recorder);
  return toRunFigures(figures, countsSince(before, recorder.statusCounts));
}

export type ReferenceName = "nodeHttp" | "express" | "serviceNoop";
export const REFERENCES: readonly ReferenceName[] = ["nodeHttp", "express", "serviceNoop"];
export type ReferenceSet<T> = Record<ReferenceName, T>;

/** A reference measured more than once in a run: the mean, and every pass. */
export type ReferenceFigures = RunFigures & { passes: RunFigures[] };

/**
 * One pass over the three no-op references, one after another. With
 * warmUp, each gets an untimed run first (the first pass meets fresh processes).
 */
export async function referencePass(urls: ReferenceSet<string>, plan: (url: string) => RunPlan, warmUp: boolean): Promise<ReferenceSet<RunFigures>> {
  const out: Partial<ReferenceSet<RunFigures>> = {};
  for (const name of REFERENCES) {
    const p = plan(urls[name]);
    if (warmUp) await drive({ ...p, durationSeconds: WARM_UP_SECONDS, seed: p.seed + 1000, warmConnections: true }, new Recorder());
    out[name] = await timedRun(p);
  }
  return out as ReferenceSet<RunFigures>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Means of rates and latencies, sums of counts: one baseline out of passes taken at the start and end of the run. */
export function combinePasses(passes: RunFigures[]): ReferenceFigures {
  const statusCounts: Record<string, number> = {};
  for (const p of passes) for (const [k, n] of Object.entries(p.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + n;
  const sum = (f: (p: RunFigures) => number) => passes.reduce((a, p) => a + f(p), 0);
  return {
    requestsPerSecond: Math.round(mean(passes.map((p) => p.requestsPerSecond))),
    p50Ms: mean(passes.map((p) => p.p50Ms)),
    p99Ms: mean(passes.map((p) => p.p99Ms)),
    durationSeconds: sum((p) => p.durationSeconds),
    sent: sum((p) => p.sent),
    answered: sum((p) => p.answered),
    statusCounts,
    transportErrors: sum((p) => p.transportErrors),
    passes,
  };
}

export type ReferenceKind = "http" | "express";

/** Starts a reference server (noop-http-server / noop-express-server) in `processes` processes, like the service. */
export function startReference(kind: ReferenceKind, processes: number): Promise<RunningService> {
  return startService(processes, 15_000, { script: path.join(__dirname, `noop-${kind}-server.js`) });
}
