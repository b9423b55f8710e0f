-- Every operator action on a coupon: who did it (a short hash of the admin
-- token, or a JWT's subject; never a credential), what, the state before
-- and after, when, and the request id that did it. No foreign key to
-- "Coupon": the trail is evidence and must not stand in the way of, or
-- vanish with, anything done to the coupon rows.
CREATE TABLE "AuditEntry" (
    "id" BIGSERIAL NOT NULL,
    "couponId" INTEGER NOT NULL,
    "actor" VARCHAR(220) NOT NULL,
    "action" VARCHAR(32) NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "requestId" VARCHAR(64) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("id")
);

-- GET /coupons/:id/audit pages newest first by id within one coupon.
CREATE INDEX "AuditEntry_couponId_id_idx" ON "AuditEntry"("couponId", "id");

-- GET /me/coupons pages a shopper's rows newest first by id; without this
-- it would scan every coupon's rows.
CREATE INDEX "UserCoupon_userId_id_idx" ON "UserCoupon"("userId", "id");
