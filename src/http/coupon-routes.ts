import type { Express, RequestHandler } from "express";
import type { Coupon } from "../db/coupon-repository";
import type { AppDeps } from "./deps";
import { actorOf } from "./operator-auth";
import { createCouponBody, parseBody, parseCouponId, setLimitBody } from "./validation";

/** The operator's routes (behind the bearer token), and the public coupon read. */
export function couponRoutes(app: Express, deps: AppDeps, operator: RequestHandler): void {
  app.post("/coupons", operator, async (req, res) => {
    const input = parseBody(createCouponBody, req.body);
    const coupon = await deps.admin.create(input, actorOf(req));
    req.log.info({ couponId: coupon.id, strategy: coupon.strategy, totalQuantity: coupon.totalQuantity }, "coupon created");
    res.status(201).location(`/coupons/${coupon.id}`).json(couponJson(coupon));
  });

  app.get("/coupons/:couponId", async (req, res) => {
    res.json(couponJson(await deps.admin.get(parseCouponId(req.params.couponId as string))));
  });

  app.put("/coupons/:couponId/limit", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const { totalQuantity } = parseBody(setLimitBody, req.body);
    const coupon = await deps.admin.setLimit(couponId, totalQuantity, actorOf(req));
    req.log.info({ couponId, totalQuantity }, "limit changed");
    res.json(couponJson(coupon));
  });

  app.post("/coupons/:couponId/reconcile", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const dryRun = req.headers["x-dry-run"] === "true" || (req.body as { dryRun?: unknown } | undefined)?.dryRun === true;
    const report = await deps.admin.reconcile(couponId, dryRun, actorOf(req));
    req.log.info({ report }, "reconciled");
    res.json(report);
  });
}

export const couponJson = (c: Coupon) => ({
  id: c.id,
  name: c.name,
  strategy: c.strategy,
  totalQuantity: c.totalQuantity,
  issuedCount: c.issuedCount,
  remaining: Math.max(0, c.totalQuantity - c.issuedCount),
  startsAt: c.startsAt?.toISOString() ?? null,
  endsAt: c.endsAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
