-- CreateTable
CREATE TABLE "Coupon" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "totalQuantity" INTEGER NOT NULL,
    "issuedCount" INTEGER NOT NULL DEFAULT 0,
    "strategy" VARCHAR(16) NOT NULL,
    "startsAt" TIMESTAMPTZ(3),
    "endsAt" TIMESTAMPTZ(3),
    "fenceToken" BIGINT NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Coupon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UserCoupon" (
    "id" BIGSERIAL NOT NULL,
    "couponId" INTEGER NOT NULL,
    "userId" BIGINT NOT NULL,
    "issuedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UserCoupon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rejection" (
    "couponId" INTEGER NOT NULL,
    "userId" BIGINT NOT NULL,
    "reason" VARCHAR(32) NOT NULL,
    "rejectedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Rejection_pkey" PRIMARY KEY ("couponId","userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "UserCoupon_couponId_userId_key" ON "UserCoupon"("couponId", "userId");

-- AddForeignKey
ALTER TABLE "UserCoupon" ADD CONSTRAINT "UserCoupon_couponId_fkey" FOREIGN KEY ("couponId") REFERENCES "Coupon"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Rejection" ADD CONSTRAINT "Rejection_couponId_fkey" FOREIGN KEY ("couponId") REFERENCES "Coupon"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- SPEC I1: PostgreSQL itself refuses to issue past the limit. Every issuing
-- path bumps "issuedCount" in the same transaction as its inserts, so this
-- CHECK holds the ledger to the limit whatever Redis believes.
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_quantity_range" CHECK ("totalQuantity" BETWEEN 1 AND 10000000);
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_issued_within_limit" CHECK ("issuedCount" >= 0 AND "issuedCount" <= "totalQuantity");
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_strategy_known" CHECK ("strategy" IN ('redis-set', 'queue', 'lock', 'postgres'));
ALTER TABLE "Coupon" ADD CONSTRAINT "Coupon_window_ordered" CHECK ("startsAt" IS NULL OR "endsAt" IS NULL OR "startsAt" < "endsAt");
ALTER TABLE "UserCoupon" ADD CONSTRAINT "UserCoupon_userId_positive" CHECK ("userId" > 0);
