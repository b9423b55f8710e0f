-- Operator controls: a display description, a sale state an operator can
-- pause, resume and close, and the one definition of a coupon's status.

ALTER TABLE "Coupon" ADD COLUMN "description" VARCHAR(1000);

-- 'open' follows the sale window; 'paused' admits no one until resumed;
-- 'closed' is final. "saleVersion" grows with every change of the state or
-- the window, so Redis keeps only the newest copy whichever writer is last.
ALTER TABLE "Coupon" ADD COLUMN "saleState" VARCHAR(8) NOT NULL DEFAULT 'open';
ALTER TABLE "Coupon" ADD COLUMN "saleVersion" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_sale_state_known" CHECK ("saleState" IN ('open', 'paused', 'closed'));

-- What a coupon is now. Every reader (the coupon routes, the list filter, the
-- operator's transitions) asks this one function, so they cannot disagree.
CREATE FUNCTION coupon_status(c "Coupon") RETURNS TEXT LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN c."saleState" = 'closed' OR (c."endsAt" IS NOT NULL AND now() >= c."endsAt") THEN 'ended'
    WHEN c."saleState" = 'paused' THEN 'paused'
    WHEN c."startsAt" IS NOT NULL AND now() < c."startsAt" THEN 'scheduled'
    WHEN c."issuedCount" >= c."totalQuantity" THEN 'sold-out'
    ELSE 'live'
  END
$$;

-- Winners in issue order, a page (or an export) at a time, without a sort.
CREATE INDEX "UserCoupon_couponId_id_idx" ON "UserCoupon" ("couponId", "id");
