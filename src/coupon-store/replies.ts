import type { SaleShut } from "../issuance/sale";

/**
 * The admission scripts' reply codes, read in one place. Every admission
 * script answers 0 when the coupon's state is missing or belongs to another
 * ledger state; the store then loads it and asks again, so callers never see it.
 */
export const NOT_LOADED = 0;

/** Every admission script refuses while the sale admits no one (includes/saleRefusal.lua). */
const SALE_SHUT: Record<number, SaleShut> = { 5: "paused", 6: "ended", 7: "not-started" };

/** issueRedisSet-3.lua: the shopper holds a place (admitted now, or held by an earlier request of theirs), has a row, or there is no place. */
export type HoldAdmission = "admitted" | "held" | "duplicate" | "sold-out" | SaleShut;
const HOLD_ADMISSION: Record<number, HoldAdmission> = { 1: "admitted", 2: "duplicate", 3: "sold-out", 4: "held", ...SALE_SHUT };

/** admitToQueue-4.lua: queued now, already queued, already issued, or no place left. */
export type QueueAdmission = "admitted" | "queued" | "duplicate" | "sold-out" | SaleShut;
const QUEUE_ADMISSION: Record<number, QueueAdmission> = { 1: "admitted", 2: "duplicate", 3: "sold-out", 4: "queued", ...SALE_SHUT };

/** checkAdmission-2.lua: would the shopper be admitted? */
export type AdmissionCheck = "room" | "duplicate" | "sold-out" | SaleShut;
const ADMISSION_CHECK: Record<number, AdmissionCheck> = { 1: "room", 2: "duplicate", 3: "sold-out", ...SALE_SHUT };

/** checkAdmissions-2.lua: places left, and for each shopper in order whether they are already admitted; or the sale is shut. */
export type AdmissionChecks =
  | {
      readonly room: number;
      readonly admitted: readonly boolean[];
    }
  | SaleShut;

const lookup =
  <T>(table: Record<number, T>, script: string) =>
  (code: number): T => {
    const value = table[code];
    if (value === undefined) throw new Error(`${script} answered an unknown code ${code}`);
    return value;
  };

export const holdAdmission = lookup(HOLD_ADMISSION, "issueRedisSet");
export const queueAdmission = lookup(QUEUE_ADMISSION, "admitToQueue");
export const admissionCheck = lookup(ADMISSION_CHECK, "checkAdmission");

const saleShut = lookup(SALE_SHUT, "checkAdmissions");

export function admissionChecks(reply: number | readonly number[]): AdmissionChecks {
  if (typeof reply === "number") return saleShut(reply);
  const [room, ...flags] = reply;
  return { room: room!, admitted: flags.map((f) => f === 1) };
}
