import type { Express, RequestHandler } from "express";
import type { AppDeps } from "./deps";
import { page, parsePage } from "./pagination";
import { parseCouponId } from "./validation";

/** The operator's view of who did what to a coupon, newest first. */
export function auditRoutes(app: Express, deps: AppDeps, operator: RequestHandler): void {
  app.get("/coupons/:couponId/audit", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const request = parsePage(req);
    const { items, nextCursor } = await page(request, (limit, before) => deps.admin.auditTrail(couponId, limit, before));
    res.json({
      couponId,
      items: items.map((e) => ({ id: e.id, action: e.action, actor: e.actor, before: e.before, after: e.after, requestId: e.requestId, at: e.at.toISOString() })),
      nextCursor,
    });
  });
}
