import type { FaultKind } from "./args";
import { below, between } from "./seeded";

/** One planned fault: how long the healthy gap before it lasts, then what it does. */
export interface PlannedFault {
  kind: FaultKind;
  /** Healthy time before this fault starts, counted from the end of the previous one. */
  gapMs: number;
  /** How long the fault lasts (for kill: how long the process stays dead before its restart). */
  durationMs: number;
  /** kill: which API process (0-based). */
  process?: number;
  /** latency: how late each Redis reply arrives. */
  delayMs?: number;
}

// The ranges the brief for the harness fixed; see README "When things break" for what each fault does.
const GAP_MS: [number, number] = [500, 2_000];
const DURATION_MS: Record<FaultKind, [number, number]> = {
  stall: [300, 1_500],
  latency: [500, 1_500],
  kill: [500, 1_000],
  flush: [0, 0], // instantaneous: Redis forgets everything at once
  "pg-cut": [500, 1_500],
};
const LATENCY_MS: [number, number] = [300, 800];

/**
 * The whole schedule is drawn up front from the seed, so the same seed gives
 * the same faults in the same order whatever the timing of the run. Kinds
 * come from a shuffled bag (every kind once, in random order, then the bag
 * is refilled): even a short run sees each chosen kind, which a uniform draw
 * would not promise. `count` is more than any run can use; the injector
 * stops at the end of the crowd.
 */
export function planFaults(random: () => number, kinds: readonly FaultKind[], processes: number, count = 1_000): PlannedFault[] {
  if (kinds.length === 0) return [];
  const plan: PlannedFault[] = [];
  let bag: FaultKind[] = [];
  while (plan.length < count) {
    if (bag.length === 0) bag = shuffle(random, [...kinds]);
    const kind = bag.pop()!;
    const fault: PlannedFault = {
      kind,
      gapMs: Math.round(between(random, ...GAP_MS)),
      durationMs: Math.round(between(random, ...DURATION_MS[kind])),
    };
    if (kind === "kill") fault.process = below(random, processes);
    if (kind === "latency") fault.delayMs = Math.round(between(random, ...LATENCY_MS));
    plan.push(fault);
  }
  return plan;
}

function shuffle<T>(random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = below(random, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
