import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "pg";
import { issuanceStatus, waitReady } from "../load/api";
import type { ShopperTokens } from "../support/shopper-tokens";
import type { ApiProcess } from "./api-process";
import type { Resolution } from "./types";
import type { Ledger } from "./verdict";

const READY_TIMEOUT_MS = 30_000;
const POLL_CONCURRENCY = 16;
const ROUND_PAUSE_MS = 200;
const STABLE_FOR_MS = 1_000;
const STABLE_POLL_MS = 250;
const STABLE_TIMEOUT_MS = 15_000;

/** Waits until every process answers /readyz (so it reaches both Redis and PostgreSQL again); throws past the bound. */
export async function allReady(processes: readonly ApiProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => waitReady(p.url, READY_TIMEOUT_MS, () => p.up)));
}

/**
 * Asks the status route about each user until it is no longer PENDING, or
 * the deadline passes. Polls go round-robin over the processes, as a client
 * behind a load balancer would: a status only one process knows is not an
 * answer the shopper can rely on. A poll that fails is retried next round;
 * a user never answered stays UNKNOWN.
 */
export async function resolvePending(
  processes: readonly ApiProcess[],
  couponId: number,
  userIds: Iterable<string>,
  timeoutMs: number,
  into: Map<string, Resolution>,
  tokens?: ShopperTokens,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...userIds];
  for (const id of waiting) into.set(id, "UNKNOWN");
  let turn = 0;
  while (waiting.length > 0 && Date.now() < deadline) {
    const queue = [...waiting];
    const poller = async () => {
      for (let id = queue.shift(); id !== undefined && Date.now() < deadline; id = queue.shift()) {
        const p = processes[turn++ % processes.length]!;
        try {
          into.set(id, await issuanceStatus(p.url, couponId, id, tokens));
        } catch {
          // Retried next round; the deadline bounds the retries.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, queue.length) }, poller));
    waiting = waiting.filter((id) => into.get(id) === "PENDING" || into.get(id) === "UNKNOWN");
    if (waiting.length > 0) await sleep(ROUND_PAUSE_MS);
  }
  return waiting.length;
}

/**
 * Reads the ledger straight from PostgreSQL (not through the proxy, nor the
 * API), once the row count has stopped moving for a second: queued batches
 * and background writes have landed by then.
 */
export async function readSettledLedger(databaseUrl: string, couponId: number): Promise<Ledger> {
  const pg = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await pg.connect();
  try {
    const count = async () =>
      Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM "UserCoupon" WHERE "couponId" = $1`, [couponId])).rows[0]!.n);
    const deadline = Date.now() + STABLE_TIMEOUT_MS;
    let last = await count();
    let stableSince = Date.now();
    while (Date.now() - stableSince < STABLE_FOR_MS && Date.now() < deadline) {
      await sleep(STABLE_POLL_MS);
      const n = await count();
      if (n !== last) [last, stableSince] = [n, Date.now()];
    }
    const rows = await pg.query<{ userId: string }>(`SELECT "userId"::text AS "userId" FROM "UserCoupon" WHERE "couponId" = $1`, [couponId]);
    const coupon = await pg.query<{ issuedCount: number; totalQuantity: number }>(
      `SELECT "issuedCount", "totalQuantity" FROM "Coupon" WHERE id = $1`,
      [couponId],
    );
    if (coupon.rows.length !== 1) throw new Error(`coupon ${couponId} is missing from the database`);
    return { rows: rows.rows.map((r) => r.userId), issuedCount: coupon.rows[0]!.issuedCount, totalQuantity: coupon.rows[0]!.totalQuantity };
  } finally {
    await pg.end();
  }
}
