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
  | { readonly kind: "sold-out" }
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
