import type { Request } from "express";
import type { Coupon } from "../db/coupon-repository";

/** What an operator did to a coupon, and the coupon before and after it (where it changed one). */
export interface OperatorAction {
  readonly action: "create" | "set-limit" | "reconcile" | "pause" | "resume" | "close" | "edit";
  readonly couponId: number;
  readonly before?: Coupon;
  readonly after?: Coupon;
  readonly detail?: Record<string, unknown>;
}

/**
 * The one place every operator action passes once it has succeeded: each
 * operator route calls it in one line, and it logs the action. The audit
 * trail (who, what, before/after, when) is written by CouponAdmin, in the
 * same transaction as the change itself (see AuditLog).
 */
export function recordOperatorAction(req: Request, action: OperatorAction): void {
  const { before, after, ...rest } = action;
  const by = { operator: req.operator?.subject, via: req.operator?.session ? "dashboard" : "bearer" };
  req.log.info({ ...rest, ...by, before: before && summary(before), after: after && summary(after) }, `operator: ${action.action}`);
}

const summary = (c: Coupon) => ({
  status: c.status,
  name: c.name,
  totalQuantity: c.totalQuantity,
  startsAt: c.startsAt,
  endsAt: c.endsAt,
  saleVersion: c.sale.version,
});
