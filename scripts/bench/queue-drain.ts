/**
 * The queue's drain rate alone, without the HTTP admission rate in it:
 * the workers are held back by holding the coupon's row lock (their batch
 * INSERT needs a key-share lock on it for the foreign key, and the counter
 * bump an update lock), Q distinct users are admitted over HTTP (all 202),
 * then the lock is released and the clock runs until Coupon.issuedCount = Q.
 */
import { performance } from "node:perf_hooks";
import type { Client } from "pg";
import { createCoupon } from "../load/api";
import { drive } from "../load/drive";
import { Recorder } from "../load/recorder";
import type { RunningService } from "../load/service";
import { waitForIssuedCount } from "./issued-count";
import { connect, createRefCoupon, multiRowInserts, type Rate } from "./pg-refs";

/**
 * The service's statement_timeout is 5 s: a worker blocked longer than that
 * fails its batch and retries on its next tick, which would add up to a
 * second to the drain. Holds longer than this are flagged in the result.
 */
export const MAX_CLEAN_HOLD_SECONDS = 4.5;
const DRAIN_TIMEOUT_MS = 120_000;

export interface QueueDrain {
  couponId: number;
  rows: number;
  /** rows / seconds from the release of the lock until the last row was committed. */
  rowsPerSecond: number;
  seconds: number;
  /** How long admission (and so the hold) took; above MAX_CLEAN_HOLD_SECONDS the figure is suspect. */
  heldSeconds: number;
  admissionRps: number;
}

export async function measureQueueDrain(service: RunningService, poll: Client, quantity: number, connections: number, seed: number): Promise<QueueDrain> {
  const couponId = await createCoupon(service.url, service.adminToken, "queue", quantity);
  const holder = await connect();
  try {
    await holder.query("BEGIN");
    await holder.query(`SELECT 1 FROM "Coupon" WHERE id = $1 FOR UPDATE`, [couponId]);
    const heldAt = performance.now();
    const recorder = new Recorder();
    // users = requests = Q: the draw's first Q users are a permutation, so every request is a new user.
    const figures = await drive(
      // stopWhen only so that autocannon notices the end within 50 ms instead of at its next 1-s tick, which would hold the workers longer.
      { url: service.url, couponId, users: quantity, requests: quantity, connections: Math.min(connections, quantity), seed, stopWhen: () => recorder.received >= quantity },
      recorder,
    );
    const pending = recorder.statusCounts["202 PENDING"] ?? 0;
    if (pending !== quantity) {
      throw new Error(`queue coupon ${couponId}: ${pending} of ${quantity} admissions answered 202 (${JSON.stringify(recorder.statusCounts)})`);
    }
    await holder.query("COMMIT");
    const released = performance.now();
    const doneAt = await waitForIssuedCount(poll, couponId, quantity, DRAIN_TIMEOUT_MS);
    const seconds = (doneAt - released) / 1000;
    return {
      couponId,
      rows: quantity,
      rowsPerSecond: Math.round(quantity / seconds),
      seconds,
      heldSeconds: (released - heldAt) / 1000,
      admissionRps: figures.throughputRps,
    };
  } finally {
    await holder.query("ROLLBACK").catch(() => undefined);
    await holder.end();
  }
}

export interface DrainComparison {
  /** Each run's drain (empty without the queue); `drain` is the median one. */
  drains: QueueDrain[];
  drain?: QueueDrain;
  /** Reference (ii): each run's plain 500-row INSERTs of the same rows; `insert` is the median one. */
  inserts: Rate[];
  insert: Rate;
}

const medianBy = <T>(xs: T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;

/**
 * The queue's drain and reference (ii) on the same number of rows,
 * interleaved run by run, so drift on a noisy machine lands on both sides of
 * the ratio; medians of `repeats`. Without the queue, reference (ii) alone.
 */
export async function drainVsInserts(
  service: RunningService, pg: Client, rows: number, connections: number, repeats: number, withDrain: boolean,
): Promise<DrainComparison> {
  const drains: QueueDrain[] = [];
  const inserts: Rate[] = [];
  for (let i = 0; i < repeats; i++) {
    if (withDrain) drains.push(await measureQueueDrain(service, pg, rows, connections, i + 1));
    inserts.push(await multiRowInserts(pg, await createRefCoupon(pg, 10_000_000, "500-row inserts"), rows));
  }
  return {
    drains,
    drain: drains.length ? medianBy(drains, (d) => d.rowsPerSecond) : undefined,
    inserts,
    insert: medianBy(inserts, (r) => r.perSecond),
  };
}
