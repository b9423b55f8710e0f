import type { Ledger } from "../db/ledger";
import { unavailable } from "../errors";
import type { IssuanceStatus } from "./types";

const ISSUED_STATUS: IssuanceStatus = Object.freeze({ status: "ISSUED" });

/** A shopper's final status, from the ledger: a row, a recorded rejection, or nothing. */
export async function rowStatus(ledger: Ledger, couponId: number, userId: string): Promise<IssuanceStatus | undefined> {
  if (await ledger.hasRow(couponId, userId)) return ISSUED_STATUS;
  const reason = await ledger.rejection(couponId, userId);
  return reason ? { status: "REJECTED", reason } : undefined;
}

const PENDING_STATUS: IssuanceStatus = Object.freeze({ status: "PENDING" });

/**
 * The ledger's final answer, else PENDING while the shopper holds a place
 * whose row is not settled yet (a hold in Redis, see HoldSweeper). When Redis
 * cannot be asked: UNAVAILABLE, or with `ledgerWithoutRedis` the ledger's
 * answer alone (the postgres strategy must not need Redis to answer).
 *
 * A hold ends only after its row (or its recorded rejection) is committed,
 * so a hold found gone sends us back to the ledger: the first read may have
 * come just before the row committed and the hold was confirmed.
 */
export async function statusWithHolds(
  ledger: Ledger,
  holds: { isHeld(couponId: number, userId: string): Promise<boolean> },
  couponId: number,
  userId: string,
  ledgerWithoutRedis = false,
): Promise<IssuanceStatus | undefined> {
  const final = await rowStatus(ledger, couponId, userId);
  if (final) return final;
  const held = await holds.isHeld(couponId, userId).catch((err) => {
    if (ledgerWithoutRedis) return false;
    throw unavailable("Redis", err);
  });
  return held ? PENDING_STATUS : rowStatus(ledger, couponId, userId);
}
