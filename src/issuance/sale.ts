import type { SaleArgs } from "../redis/scripts";
import type { IssueOutcome } from "./types";

/**
 * A coupon's sale as an operator controls it. PostgreSQL holds the truth
 * (the "saleState" column and the coupon_status function of the
 * migrations); a copy in the coupon's Redis meta hash is checked inside
 * every admission script, and the postgres strategy checks the row in the
 * same statement that issues, so a pause or a close holds in every process
 * as soon as the operator's call has answered.
 */

/** What an operator set: `open` follows the sale window, `paused` admits no one until resumed, `closed` is final. */
export type SaleState = "open" | "paused" | "closed";

/** What a coupon is now, as coupon_status() computes it in PostgreSQL. */
export const COUPON_STATUSES = ["scheduled", "live", "paused", "sold-out", "ended"] as const;
export type CouponStatus = (typeof COUPON_STATUSES)[number];

export const SALE_ACTIONS = ["pause", "resume", "close"] as const;
export type SaleAction = (typeof SALE_ACTIONS)[number];

/** For each action, the state it sets and the statuses it may start from; anything else is INVALID_TRANSITION. */
export const TRANSITIONS: Readonly<Record<SaleAction, { readonly to: SaleState; readonly from: readonly CouponStatus[] }>> = {
  // A sold-out or ended sale admits no one already; pausing it would only hide that.
  pause: { to: "paused", from: ["scheduled", "live"] },
  resume: { to: "open", from: ["paused"] },
  // Closing is final, and ends a sold-out sale before its window does.
  close: { to: "closed", from: ["scheduled", "live", "paused", "sold-out"] },
};

/** The statuses in which name, description and window may change: nobody is being admitted. */
export const EDITABLE_STATUSES: readonly CouponStatus[] = ["scheduled", "paused"];

export interface Sale {
  readonly state: SaleState;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  /** Grows with every change; Redis keeps only the newest copy it is given. */
  readonly version: number;
}

/** A sale as setSale-1.lua and loadCoupon-7.lua take it. */
export const saleArgs = (sale: Sale): SaleArgs => [
  sale.state,
  sale.startsAt ? String(sale.startsAt.getTime()) : "",
  sale.endsAt ? String(sale.endsAt.getTime()) : "",
  sale.version,
];

export const PAUSED: IssueOutcome = Object.freeze({ kind: "paused" });
export const ENDED: IssueOutcome = Object.freeze({ kind: "ended" });
export const NOT_STARTED: IssueOutcome = Object.freeze({ kind: "not-started" });

/** The admission scripts' refusals (includes/saleRefusal.lua), by reply code. */
const REFUSALS: ReadonlyMap<number, IssueOutcome> = new Map<number, IssueOutcome>([
  [5, PAUSED],
  [6, ENDED],
  [7, NOT_STARTED],
]);

/** The outcome an admission script's reply stands for when the sale refused; undefined otherwise. */
export const saleRefusal = (reply: unknown): IssueOutcome | undefined => (typeof reply === "number" ? REFUSALS.get(reply) : undefined);
