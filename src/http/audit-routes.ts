import type { Express, RequestHandler } from "express";
import { encodeCursor } from "./cursor";
import type { AppDeps } from "./deps";
import { auditQuery, parseCouponId, parseQuery } from "./validation";

/** The operator's view of who did what to a coupon, newest first, a page at a time. */
export function auditRoutes(app: Express, deps: AppDeps, operator: RequestHandler): void {
  app.get("/coupons/:couponId/audit", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const { cursor, limit } = parseQuery(auditQuery, req.url);
    // One more than asked tells whether a next page exists.
    const entries = await deps.admin.auditTrail(couponId, limit + 1, cursor?.beforeId);
    const page = entries.slice(0, limit);
    res.json({
      couponId,
      items: page.map((e) => ({ id: e.id, action: e.action, actor: e.actor, before: e.before, after: e.after, requestId: e.requestId, at: e.at.toISOString() })),
      nextCursor: entries.length > limit ? encodeCursor({ kind: "audit", beforeId: BigInt(page.at(-1)!.id) }) : null,
    });
  });
}
