import { setTimeout as sleep } from "node:timers/promises";
import type { ShopperTokens } from "../support/shopper-tokens";
import type { ApiProcess } from "./api-process";
import { now } from "./clock";
import { Clients, type Reply } from "./http-client";
import type { Phase, RequestRecord } from "./types";

/** Per-request bound: nothing hangs, and a request still unanswered after this is recorded as "no answer". */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How long a sender waits before looking again when every process is down. */
const ALL_DOWN_PAUSE_MS = 20;

export interface CrowdPlan {
  processes: readonly ApiProcess[];
  couponId: number;
  /** Requests kept in flight. */
  concurrency: number;
  phase: Phase;
  /** The next shopper's userId. */
  nextUser: () => string;
  /** Asked before each request; false ends the crowd (requests in flight are still awaited). */
  keepGoing: () => boolean;
  /** Told each answer as it comes. */
  onRecord?: (record: RequestRecord) => void;
  /** With SHOPPER_AUTH=jwt: each request carries its shopper's token. */
  tokens?: ShopperTokens;
}

/**
 * Keeps `concurrency` POST /coupons/:id/issue requests in flight, spread
 * round-robin over the processes that are up, and records every one. Each
 * sender is a loop that sends its next request once its previous one is
 * answered, so the load is closed: a stalled service slows the crowd down
 * instead of piling up unbounded requests.
 */
export async function runCrowd(plan: CrowdPlan, records: RequestRecord[]): Promise<void> {
  const clients = new Clients(plan.concurrency);
  let turn = 0;
  const pick = (): ApiProcess | undefined => {
    for (let i = 0; i < plan.processes.length; i++) {
      const p = plan.processes[turn++ % plan.processes.length]!;
      if (p.up) return p;
    }
    return undefined;
  };
  const path = `/coupons/${plan.couponId}/issue`;
  const sender = async () => {
    while (plan.keepGoing()) {
      const target = pick();
      if (!target) {
        await sleep(ALL_DOWN_PAUSE_MS);
        continue;
      }
      const userId = plan.nextUser();
      const sentAt = now();
      const headers = await plan.tokens?.headers(userId);
      const reply: Reply = await clients.send(target.port, "POST", path, JSON.stringify({ userId }), REQUEST_TIMEOUT_MS, headers);
      const record: RequestRecord = {
        userId,
        process: target.index,
        sentAt,
        answeredAt: now(),
        status: reply.status,
        code: reply.code,
        phase: plan.phase,
      };
      if (reply.error) record.error = reply.error;
      records.push(record);
      plan.onRecord?.(record);
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, sender));
  } finally {
    clients.close();
  }
}
