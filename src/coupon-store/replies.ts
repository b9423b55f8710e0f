/**
 * The admission scripts' reply codes, read in one place. Every admission
 * script answers 0 when the coupon's state is missing or belongs to another
 * ledger state; the store then loads it and asks again, so callers never see it.
 */
export const NOT_LOADED = 0;

/** issueRedisSet-3.lua: the shopper holds a place (admitted now, or held by an earlier request of theirs), has a row, or there is no place. */
export type HoldAdmission = "admitted" | "held" | "duplicate" | "sold-out";
const HOLD_ADMISSION: Record<number, HoldAdmission> = { 1: "admitted", 2: "duplicate", 3: "sold-out", 4: "held" };

/** admitToQueue-4.lua: queued now, already queued, already issued, or no place left. */
export type QueueAdmission = "admitted" | "queued" | "duplicate" | "sold-out";
const QUEUE_ADMISSION: Record<number, QueueAdmission> = { 1: "admitted", 2: "duplicate", 3: "sold-out", 4: "queued" };

/** checkAdmission-2.lua: would the shopper be admitted? */
export type AdmissionCheck = "room" | "duplicate" | "sold-out";
const ADMISSION_CHECK: Record<number, AdmissionCheck> = { 1: "room", 2: "duplicate", 3: "sold-out" };

/** checkAdmissions-2.lua: places left, and for each shopper in order whether they are already admitted. */
export interface AdmissionChecks {
  readonly room: number;
  readonly admitted: readonly boolean[];
}

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

export function admissionChecks(reply: readonly number[]): AdmissionChecks {
  const [room, ...flags] = reply;
  return { room: room!, admitted: flags.map((f) => f === 1) };
}
