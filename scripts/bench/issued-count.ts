import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "pg";

/** Fine enough that a drain of ~0.2 s is timed to a few percent; one primary-key read is cheap. */
export const POLL_MS = 5;

/**
 * Polls "Coupon"."issuedCount" every POLL_MS until it reaches `target`;
 * returns performance.now() when it did. The counter moves in the same
 * transaction as the rows, so reaching it means the rows are committed.
 * Throws at the deadline, with how far it got.
 */
export async function waitForIssuedCount(pg: Client, couponId: number, target: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let count = -1;
  while (performance.now() < deadline) {
    const { rows } = await pg.query<{ n: number }>({
      name: "bench-issued-count",
      text: `SELECT "issuedCount" AS n FROM "Coupon" WHERE id = $1`,
      values: [couponId],
    });
    count = rows[0]?.n ?? -1;
    if (count >= target) return performance.now();
    await sleep(POLL_MS);
  }
  throw new Error(`coupon ${couponId}: issuedCount ${count} has not reached ${target} within ${timeoutMs / 1000} s`);
}
