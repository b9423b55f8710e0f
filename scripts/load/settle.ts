import { setTimeout as sleep } from "node:timers/promises";
import type { ShopperTokens } from "../support/shopper-tokens";
import { issuanceStatus } from "./api";
import type { Recorder } from "./recorder";

const CONCURRENCY = 16;
const ROUND_PAUSE_MS = 200;

/**
 * Waits for queued work to settle: polls every user whose 202 has not yet
 * resolved, with at most CONCURRENCY requests in flight, until each is
 * ISSUED or REJECTED (NOT_REQUESTED is final too, and the checker flags it)
 * or the deadline passes. Returns how many are still unresolved.
 */
export async function settlePending(url: string, couponId: number, recorder: Recorder, timeoutMs: number, tokens?: ShopperTokens): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const unsettled = (id: string) => {
    const resolved = recorder.answers.get(id)?.resolved;
    return resolved === undefined || resolved === "PENDING";
  };
  let waiting = recorder.pendingUsers().filter(unsettled);
  while (waiting.length > 0 && Date.now() < deadline) {
    const queue = [...waiting];
    const poll = async () => {
      for (let id = queue.shift(); id !== undefined && Date.now() < deadline; id = queue.shift()) {
        try {
          recorder.resolve(id, await issuanceStatus(url, couponId, id, tokens));
        } catch {
          // A failed poll is retried next round; the deadline bounds the retries.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, poll));
    waiting = waiting.filter(unsettled);
    if (waiting.length > 0) await sleep(ROUND_PAUSE_MS);
  }
  return waiting.length;
}
