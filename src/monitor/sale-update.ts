import type { AnswerKind } from "./sale-stats";

/*
 * What GET /dashboard/events pushes, as JSON, once a second. The page
 * (web/dashboard) reads the same types, so this file must stay free of
 * Node.js: types only.
 */

export type CouponStatus = "scheduled" | "live" | "paused" | "sold-out" | "ended";

/** One coupon in an update. */
export interface SaleView {
  readonly id: number;
  readonly name: string;
  readonly strategy: string;
  readonly status: CouponStatus;
  readonly totalQuantity: number;
  /** Rows in PostgreSQL. */
  readonly issued: number;
  readonly remaining: number;
  /** Queue coupons only; null for the others, or when Redis did not answer. */
  readonly queueDepth: number | null;
  /** Rows written per second, one point per sample, oldest first (t in Unix seconds). */
  readonly rate: { readonly t: readonly number[]; readonly perSecond: readonly number[] };
  /** Shoppers' answers since the serving processes started; null when not every worker answered. */
  readonly answers: Readonly<Record<AnswerKind, number>> | null;
  /** Over the answers of the last minute; null with none. */
  readonly p99Ms: number | null;
}

export interface SaleUpdate {
  /** ISO 8601. */
  readonly at: string;
  readonly coupons: readonly SaleView[];
  /** What could not be read this time; the numbers it feeds are the last ones read. */
  readonly problems: readonly string[];
}

export type { AnswerKind };
