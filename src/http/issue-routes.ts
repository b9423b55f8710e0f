import type { Express, Response } from "express";
import type { IssueOutcome } from "../issuance/types";
import type { AppDeps } from "./deps";
import { encodeCursor } from "./cursor";
import { sendProblem } from "./problem";
import { countAnswer } from "./sale-answers";
import { issuingUser, ownUser, shopperAuth } from "./shopper-auth";
import { holdingsQuery, issueBody, parseBody, parseCouponId, parseQuery, parseUserIdParam, preferWaitMs } from "./validation";
import { AppError } from "../errors";

const DEFAULT_MAX_WAIT_SECONDS = 30;

/**
 * The shopper's routes: race for a coupon, ask how it went, list what one
 * holds. With SHOPPER_AUTH=jwt the shopper is the bearer token's subject.
 */
export function issueRoutes(app: Express, deps: AppDeps): void {
  const maxWait = deps.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS;
  const shopper = shopperAuth(deps.tokens);

  app.post("/coupons/:couponId/issue", ...deps.limits.byAddress, ...shopper, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    countAnswer(res, couponId, deps.metrics.sales);
    const userId = issuingUser(req);
    await deps.limits.byUser(userId);
    const waitMs = preferWaitMs(req.get("prefer"), maxWait);
    const outcome = await deps.issuance.issue(couponId, userId, { waitMs });
    if (waitMs !== undefined) res.setHeader("Preference-Applied", `wait=${waitMs / 1000}`);
    sendOutcome(res, couponId, userId, outcome);
  });

  if (deps.benchNoopRoute) {
    app.post("/bench/noop", (req, res) => {
      const { userId } = parseBody(issueBody, req.body);
      res.status(201).json({ couponId: 0, userId, status: "ISSUED" });
    });
  }

  app.get("/coupons/:couponId/issuances/:userId", ...shopper, async (req, res) => {
    const couponId = parseCouponId(req.params.couponId as string);
    const userId = parseUserIdParam(req.params.userId as string);
    ownUser(req, userId);
    const status = await deps.issuance.status(couponId, userId);
    if (!status) throw new AppError("NOT_REQUESTED", `User ${userId} holds no request for coupon ${couponId}`);
    res.json({ couponId, userId, ...status });
  });

  app.get("/me/coupons", ...shopper, async (req, res) => {
    const userId = req.shopperId;
    if (userId === undefined) throw new AppError("NOT_FOUND", "GET /me/coupons needs SHOPPER_AUTH=jwt: without a token there is no \"me\"");
    const { cursor, limit } = parseQuery(holdingsQuery, req.url);
    // One more than asked tells whether a next page exists.
    const held = await deps.holdings(userId, limit + 1, cursor?.beforeId);
    const page = held.slice(0, limit);
    res.json({
      userId,
      items: page.map((h) => ({ couponId: h.couponId, name: h.name, issuedAt: h.issuedAt.toISOString() })),
      nextCursor: held.length > limit ? encodeCursor({ kind: "holdings", beforeId: page.at(-1)!.id }) : null,
    });
  });
}

function sendOutcome(res: Response, couponId: number, userId: string, outcome: IssueOutcome): void {
  switch (outcome.kind) {
    case "issued":
      res.status(201).json({ couponId, userId, status: "ISSUED" });
      return;
    case "pending":
      res
        .status(202)
        .location(`/coupons/${couponId}/issuances/${userId}`)
        .json({ couponId, userId, status: "PENDING" });
      return;
    case "already-issued":
      return sendProblem(res, "ALREADY_ISSUED", `User ${userId} already holds coupon ${couponId}`);
    case "sold-out":
      return sendProblem(res, "SOLD_OUT", `Coupon ${couponId} is sold out`);
    case "not-started":
      return sendProblem(res, "COUPON_NOT_STARTED", `The sale of coupon ${couponId} has not started`);
    case "paused":
      return sendProblem(res, "COUPON_PAUSED", `The sale of coupon ${couponId} is paused; try again later`);
    case "ended":
      return sendProblem(res, "COUPON_ENDED", `The sale of coupon ${couponId} has ended`);
  }
}
