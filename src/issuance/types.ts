import type { UnfencedResult } from "../db/ledger";
import type { StrategyName } from "./strategy-names";

/** What a strategy needs to know of a coupon; none of it ever changes. */
export interface CouponRef {
  readonly id: number;
  readonly strategy: StrategyName;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  /** The ledger state this coupon belongs to; its Redis state must carry the same tag. */
  readonly tag: string;
}

/**
 * Every expected answer to "give me this coupon" is a value of this union.
 * Infrastructure failures are thrown as AppError instead.
 */
export type IssueOutcome =
  | { readonly kind: "issued" }
  | { readonly kind: "pending" }
  | { readonly kind: "already-issued" }
  | {
      readonly kind: "sold-out";
      /**
       * Redis found every place taken (written, held or queued), which stays
       * true until a change notice for the coupon; not set when the answer
       * rests on something else (PostgreSQL refused, a batch took the room).
       */
      readonly everyPlaceTaken?: boolean;
    }
  | { readonly kind: "not-started" }
  | { readonly kind: "paused" }
  | { readonly kind: "ended" };

export type IssuanceStatus =
  | { readonly status: "ISSUED" }
  | { readonly status: "PENDING" }
  | { readonly status: "REJECTED"; readonly reason: string };

export interface IssueOptions {
  /** From `Prefer: wait=N`: how long a queued request may wait for its final answer. */
  readonly waitMs?: number;
}

export interface IssuanceStrategy {
  readonly name: StrategyName;
  /** Whether the strategy keeps the coupon's admission state in Redis. */
  readonly usesRedis: boolean;
  issue(coupon: CouponRef, userId: string, options: IssueOptions): Promise<IssueOutcome>;
  /** The shopper's final or current status; undefined if they never got in. */
  status(coupon: CouponRef, userId: string): Promise<IssuanceStatus | undefined>;
  /** Stops background work and settles what is in hand (graceful shutdown). */
  close?(): Promise<void>;
}

export const ISSUED: IssueOutcome = Object.freeze({ kind: "issued" });
export const PENDING: IssueOutcome = Object.freeze({ kind: "pending" });
export const ALREADY_ISSUED: IssueOutcome = Object.freeze({ kind: "already-issued" });
export const SOLD_OUT: IssueOutcome = Object.freeze({ kind: "sold-out" });
export const EVERY_PLACE_TAKEN: IssueOutcome = Object.freeze({ kind: "sold-out", everyPlaceTaken: true });

/** What a shopper is told once their row's fate is known (a fenced write is the lock strategy's own matter). */
export function outcomeOf(result: UnfencedResult): IssueOutcome {
  return result === "issued" ? ISSUED : result === "duplicate" ? ALREADY_ISSUED : SOLD_OUT;
}
