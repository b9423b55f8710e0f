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

/** A coupon's sale: the state an operator set, the window, and the version Redis copies are compared by. */
export interface Sale {
  readonly state: SaleState;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  /** Grows with every change; Redis keeps only the newest copy it is given. */
  readonly version: number;
}

/** Why an admission was refused by the sale itself, in Redis or in PostgreSQL: paused, closed or past its window, or before it. */
export type SaleShut = "paused" | "ended" | "not-started";

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

const PAUSED: IssueOutcome = Object.freeze({ kind: "paused" });
export const ENDED: IssueOutcome = Object.freeze({ kind: "ended" });
export const NOT_STARTED: IssueOutcome = Object.freeze({ kind: "not-started" });

const SHUT: Readonly<Record<SaleShut, IssueOutcome>> = { paused: PAUSED, ended: ENDED, "not-started": NOT_STARTED };

/** Whether an admission's answer (from Redis or PostgreSQL) is the sale refusing. */
export const isShut = (answer: unknown): answer is SaleShut => typeof answer === "string" && Object.hasOwn(SHUT, answer);

/** The shopper's answer when the sale refused them. */
export const shutOutcome = (shut: SaleShut): IssueOutcome => SHUT[shut];
