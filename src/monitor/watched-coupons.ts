import type { CouponAdmin } from "../issuance/coupon-admin";
import type { WatchedCoupon } from "./sale-feed";

/** How many coupons the dashboard shows at most. */
const MAX_WATCHED = 50;
/** Sold-out sales stay on show (their final numbers matter) until newer ones push them out. */
const MAX_SOLD_OUT = 10;

/**
 * The sales an operator watches: live and paused ones, and the latest
 * sold-out ones; newest first.
 */
export async function watchedCoupons(admin: CouponAdmin): Promise<WatchedCoupon[]> {
  const [live, paused, soldOut] = await Promise.all([
    admin.list({ status: "live", limit: MAX_WATCHED }),
    admin.list({ status: "paused", limit: MAX_WATCHED }),
    admin.list({ status: "sold-out", limit: MAX_SOLD_OUT }),
  ]);
  return [...live, ...paused, ...soldOut].sort((a, b) => b.id - a.id).slice(0, MAX_WATCHED);
}
