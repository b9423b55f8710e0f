import type { Express, RequestHandler } from "express";
import type { Coupon } from "../db/coupon-repository";
import { actorOf } from "./auth";
import type { AppDeps } from "./deps";
import { SALE_ACTIONS } from "../issuance/sale";
import { recordOperatorAction } from "./operator-action";
import { createCouponBody, editCouponBody, parseBody, parseCouponId, setLimitBody } from "./validation";

/** The operator's routes on one coupon (behind the bearer token), and the public coupon read. */
export function couponRoutes(app: Express, deps: AppDeps, operator: RequestHandler): void {
  app.post("/coupons", operator, async (req, res) => {
    const input = parseBody(createCouponBody, req.body);
    const coupon = await deps.admin.create(input, actorOf(req));
    recordOperatorAction(req, { action: "create", couponId: coupon.id, after: coupon });
    res.status(201).location(`/coupons/${coupon.id}`).json(couponJson(coupon));
  });

  app.get("/coupons/:couponId", async (req, res) => {
    res.json(couponJson(await deps.admin.get(parseCouponId(req.params.couponId as string))));
  });

  app.patch("/coupons/:couponId", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const edit = parseBody(editCouponBody, req.body);
    const { everywhere, ...change } = await deps.admin.edit(couponId, edit, actorOf(req));
    recordOperatorAction(req, { action: "edit", couponId, ...change });
    res.status(everywhere ? 200 : 202).json(couponJson(change.after));
  });

  app.put("/coupons/:couponId/limit", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const { totalQuantity } = parseBody(setLimitBody, req.body);
    const change = await deps.admin.setLimit(couponId, totalQuantity, actorOf(req));
    recordOperatorAction(req, { action: "set-limit", couponId, ...change });
    res.json(couponJson(change.after));
  });

  app.post("/coupons/:couponId/reconcile", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const dryRun = req.headers["x-dry-run"] === "true" || (req.body as { dryRun?: unknown } | undefined)?.dryRun === true;
    const report = await deps.admin.reconcile(couponId, dryRun, actorOf(req));
    recordOperatorAction(req, { action: "reconcile", couponId, detail: { report } });
    res.json(report);
  });

  for (const action of SALE_ACTIONS) {
    app.post(`/coupons/:couponId/${action}`, operator, async (req, res) => {
      const couponId = parseCouponId(req.params.couponId as string);
      const { everywhere, ...change } = await deps.admin.changeSale(couponId, action, actorOf(req));
      recordOperatorAction(req, { action, couponId, ...change });
      // 202: recorded in PostgreSQL, and reaching Redis (every process) as soon as Redis answers again.
      res.status(everywhere ? 200 : 202).json(couponJson(change.after));
    });
  }
}

export const couponJson = (c: Coupon) => ({
  id: c.id,
  name: c.name,
  description: c.description,
  strategy: c.strategy,
  status: c.status,
  totalQuantity: c.totalQuantity,
  issuedCount: c.issuedCount,
  remaining: Math.max(0, c.totalQuantity - c.issuedCount),
  startsAt: c.startsAt?.toISOString() ?? null,
  endsAt: c.endsAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
