--[[
Copy a coupon's sale state and window from PostgreSQL after an operator
changed them (pause, resume, close, a new window). Keys that hold nothing yet
are left alone: whoever loads the coupon reads PostgreSQL afterwards, and
checks it once more after publishing (CouponStore.publish).

KEYS[1]  coupon:{id}:meta  hash: limit, tag, state, startsAt, endsAt, saleVersion
ARGV[1]  state: open | paused | closed
ARGV[2]  startsAt in ms, or '' for none
ARGV[3]  endsAt in ms, or '' for none
ARGV[4]  saleVersion from PostgreSQL

Returns
  1  written
  0  nothing to write: the keys are absent, or hold this version or a newer one
]]
-- @include writeSale
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return writeSale(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
