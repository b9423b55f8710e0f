import type { Ledger } from "../db/ledger";
import type { IssuanceStatus } from "./types";

const ISSUED_STATUS: IssuanceStatus = Object.freeze({ status: "ISSUED" });

/** A shopper's final status, from the ledger: a row, a recorded rejection, or nothing. */
export async function rowStatus(ledger: Ledger, couponId: number, userId: string): Promise<IssuanceStatus | undefined> {
  if (await ledger.hasRow(couponId, userId)) return ISSUED_STATUS;
  const reason = await ledger.rejection(couponId, userId);
  return reason ? { status: "REJECTED", reason } : undefined;
}
