import type { StrategyName } from "../../src/issuance/strategy-names";
import { createCoupon } from "../load/api";
import type { TortureOptions } from "./args";
import { now } from "./clock";
import { runCrowd } from "./crowd";
import { FaultInjector } from "./fault-injector";
import { planFaults, type PlannedFault } from "./fault-plan";
import { seededStream } from "./seeded";
import { crowdShoppers } from "./shoppers";
import { allReady, readSettledLedger, resolvePending } from "./settle";
import type { FaultRecord, RequestRecord, Resolution } from "./types";
import { judge, type Verdict } from "./verdict";
import type { World } from "./world";

/** How long 202s get to resolve once the world is healthy again (each time: after the crowd, after the final wave). */
const SETTLE_TIMEOUT_MS = 30_000;
/** Bounds of the final wave, which runs until a whole round of answers in flight is SOLD_OUT. */
const FINAL_WAVE_TIMEOUT_MS = 60_000;
const FINAL_WAVE_EXTRA_REQUESTS = 50_000;
/** Final-wave users are numbered from here, far above any crowd user, so each is a fresh shopper. */
const FRESH_USERS_FROM = 1_000_000_000;

export interface StrategyRun {
  strategy: StrategyName;
  couponId: number;
  quantity: number;
  /** Crowd users are drawn from 1..poolSize. */
  poolSize: number;
  crowd: { start: number; end: number };
  /** The part of the seeded plan that was played (same seed → same list). */
  plan: PlannedFault[];
  timeline: FaultRecord[];
  finalWave: { start: number; end: number; requests: number; endedBySoldOut: boolean };
  /** 202s still unresolved after each settle. */
  unresolved: { afterCrowd: number; afterFinalWave: number };
  verdict: Verdict;
  records: RequestRecord[];
  resolutions: Map<string, Resolution>;
}

/**
 * One strategy's torture: a fresh coupon, a crowd under the seeded fault
 * schedule, a settle, a final healthy wave of fresh users until SOLD_OUT,
 * then the verdict against the ledger.
 */
export async function runStrategy(world: World, options: TortureOptions, strategy: StrategyName): Promise<StrategyRun> {
  const quantity = options.quantity;
  const couponId = await createCoupon(world.processes[0]!.url, world.adminToken, strategy, quantity);
  // Twice N: enough shoppers to sell out, few enough that many come back (repeats race with first requests).
  const poolSize = 2 * quantity;
  const nextUser = crowdShoppers(seededStream(options.seed, strategy, "users"), poolSize);
  const plan = planFaults(seededStream(options.seed, strategy, "faults"), options.faults, world.processes.length);
  const records: RequestRecord[] = [];

  const injector = new FaultInjector(world, plan);
  const crowdStart = now();
  const crowdEnd = crowdStart + options.durationSeconds * 1_000;
  injector.start();
  try {
    await runCrowd(
      {
        processes: world.processes,
        couponId,
        concurrency: options.concurrency,
        phase: "crowd",
        nextUser,
        tokens: world.tokens,
        keepGoing: () => now() < crowdEnd,
      },
      records,
    );
  } finally {
    await injector.stop();
  }
  const crowd = { start: crowdStart, end: now() };

  await allReady(world.processes);
  const resolutions = new Map<string, Resolution>();
  const afterCrowd = await resolvePending(world.processes, couponId, pendingUsers(records), SETTLE_TIMEOUT_MS, resolutions, world.tokens);

  const finalWave = await runFinalWave(world, options, couponId, records);
  const finalPending = pendingUsers(records.filter((r) => r.phase === "final"));
  const afterFinalWave = await resolvePending(world.processes, couponId, finalPending, SETTLE_TIMEOUT_MS, resolutions, world.tokens);

  const ledger = await readSettledLedger(world.databaseUrl, couponId);
  const timeline = injector.timeline;
  const verdict = judge({ quantity, records, faults: timeline, resolutions, ledger });
  return {
    strategy,
    couponId,
    quantity,
    poolSize,
    crowd,
    plan: plan.slice(0, timeline.length),
    timeline,
    finalWave,
    unresolved: { afterCrowd, afterFinalWave },
    verdict,
    records,
    resolutions,
  };
}

/**
 * Fresh shoppers, no faults, until a whole round of answers in flight in a
 * row is SOLD_OUT: by then a healthy service has given every place away
 * (I3), so the ledger must hold exactly N.
 */
async function runFinalWave(world: World, options: TortureOptions, couponId: number, records: RequestRecord[]) {
  const start = now();
  const deadline = start + FINAL_WAVE_TIMEOUT_MS;
  const maxRequests = options.quantity + FINAL_WAVE_EXTRA_REQUESTS;
  let sent = 0;
  let soldOutInARow = 0;
  await runCrowd(
    {
      processes: world.processes,
      couponId,
      concurrency: options.concurrency,
      phase: "final",
      tokens: world.tokens,
      nextUser: () => String(FRESH_USERS_FROM + sent++),
      keepGoing: () => soldOutInARow < options.concurrency && sent < maxRequests && now() < deadline,
      onRecord: (r) => (soldOutInARow = r.status === 409 && r.code === "SOLD_OUT" ? soldOutInARow + 1 : 0),
    },
    records,
  );
  return { start, end: now(), requests: sent, endedBySoldOut: soldOutInARow >= options.concurrency };
}

function pendingUsers(records: readonly RequestRecord[]): Set<string> {
  return new Set(records.filter((r) => r.status === 202).map((r) => r.userId));
}
