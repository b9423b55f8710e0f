import type { CouponAdmin } from "../issuance/coupon-admin";
import type { WatchedCoupon } from "./sale-feed";
import type { CouponStatus } from "./sale-update";

/** How many coupons the dashboard shows at most, newest first. */
const MAX_WATCHED = 50;

/** The coupons whose sale is open now: live or sold out, newest first. */
export async function watchedCoupons(admin: CouponAdmin): Promise<WatchedCoupon[]> {
  const now = Date.now();
  const ids = (await admin.ids()).reverse();
  const coupons = await Promise.all(ids.map((id) => admin.get(id)));
  const watched: WatchedCoupon[] = [];
  for (const c of coupons) {
    const status: CouponStatus = c.issuedCount >= c.totalQuantity ? "sold-out" : "live";
    const open = (!c.startsAt || c.startsAt.getTime() <= now) && (!c.endsAt || c.endsAt.getTime() > now);
    if (open) watched.push({ ...c, status });
    if (watched.length === MAX_WATCHED) break;
  }
  return watched;
}
