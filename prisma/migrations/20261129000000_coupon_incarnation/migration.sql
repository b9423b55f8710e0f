-- Redis state must belong to the ledger it was built from. Each coupon row
-- gets a random incarnation when it is created; together with the database's
-- own identity (cluster, database oid, timeline) it names the ledger state
-- that a coupon's Redis keys were loaded from. A coupon re-created under the
-- same id, a re-created database or a restored backup all change it, and the
-- service then rebuilds the coupon's Redis state instead of trusting it.
ALTER TABLE "Coupon" ADD COLUMN "incarnation" UUID NOT NULL DEFAULT gen_random_uuid();
