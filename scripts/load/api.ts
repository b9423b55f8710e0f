import { setTimeout as sleep } from "node:timers/promises";
import type { ShopperTokens } from "../support/shopper-tokens";
import type { AnswerSummary } from "./checker";

const REQUEST_TIMEOUT_MS = 5_000;

/** Polls GET /readyz until 200; gives up at the deadline or when the service died. */
export async function waitReady(url: string, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("the service exited before it was ready");
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`the service at ${url} was not ready within ${timeoutMs / 1000} s (${last})`);
}

/** Creates the coupon under test through the operator API; returns its id. */
export async function createCoupon(url: string, adminToken: string, strategy: string, quantity: number): Promise<number> {
  const res = await fetch(`${url}/coupons`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: `load ${strategy} ${new Date().toISOString()}`, totalQuantity: quantity, strategy }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await res.json().catch(() => ({}))) as { id?: unknown; code?: string; detail?: string };
  if (res.status !== 201 || typeof body.id !== "number") {
    throw new Error(`POST /coupons answered ${res.status} ${body.code ?? ""} ${body.detail ?? ""}`.trim());
  }
  return body.id;
}

/** A shopper's status: ISSUED / PENDING / REJECTED, or NOT_REQUESTED on 404. `tokens` when the service runs with SHOPPER_AUTH=jwt. */
export async function issuanceStatus(
  url: string,
  couponId: number,
  userId: string,
  tokens?: ShopperTokens,
): Promise<NonNullable<AnswerSummary["resolved"]>> {
  const res = await fetch(`${url}/coupons/${couponId}/issuances/${userId}`, {
    headers: await tokens?.headers(userId),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status === 404) return "NOT_REQUESTED";
  if (!res.ok) throw new Error(`GET issuance of user ${userId} answered ${res.status}`);
  const { status } = (await res.json()) as { status?: string };
  if (status === "ISSUED" || status === "PENDING" || status === "REJECTED") return status;
  throw new Error(`GET issuance of user ${userId} answered status "${status}"`);
}
