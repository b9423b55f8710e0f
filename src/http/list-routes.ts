import type { Express, Request, RequestHandler, Response } from "express";
import type { AppDeps } from "./deps";
import { couponJson } from "./coupon-routes";
import { encodeCursor } from "./cursor";
import { listCouponsQuery, listWinnersQuery, noQuery, parseCouponId, parseQuery } from "./validation";

/**
 * The operator's lists: coupons newest first, a coupon's winners in issue
 * order, both a page at a time with an opaque keyset cursor (stable while
 * new coupons and winners arrive), and every winner as a streamed CSV.
 */
export function listRoutes(app: Express, deps: AppDeps, operator: RequestHandler): void {
  app.get("/coupons", operator, async (req, res) => {
    const { status, cursor, limit } = parseQuery(listCouponsQuery, req.url);
    // One more than asked tells whether a next page exists.
    const coupons = await deps.admin.list({ status, beforeId: cursor?.beforeId, limit: limit + 1 });
    const page = coupons.slice(0, limit);
    const next = coupons.length > limit ? encodeCursor({ kind: "coupons", beforeId: page.at(-1)!.id }) : null;
    res.json({ items: page.map(couponJson), nextCursor: next });
  });

  app.get("/coupons/:couponId/issuances", operator, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const { cursor, limit } = parseQuery(listWinnersQuery, req.url);
    if (req.accepts(["application/json", "text/csv"]) === "text/csv") return sendCsv(deps, couponId, req, res);
    const winners = await deps.admin.winners(couponId, cursor?.afterSeq ?? 0n, limit + 1);
    const page = winners.slice(0, limit);
    const next = winners.length > limit ? encodeCursor({ kind: "winners", afterSeq: page.at(-1)!.seq }) : null;
    res.json({
      couponId,
      items: page.map((w) => ({ userId: w.userId, issuedAt: w.issuedAt.toISOString() })),
      nextCursor: next,
    });
  });

  app.get("/coupons/:couponId/issuances.csv", operator, async (req, res) => {
    parseQuery(noQuery, req.url);
    await sendCsv(deps, parseCouponId(req.params.couponId as string), req, res);
  });
}

async function sendCsv(deps: AppDeps, couponId: number, req: Request, res: Response): Promise<void> {
  await deps.admin.exportWinners(couponId, res, () => {
    res
      .status(200)
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", `attachment; filename="coupon-${couponId}-winners.csv"`)
      .setHeader("Cache-Control", "no-store");
  });
  req.log.debug({ couponId }, "winners exported");
}
