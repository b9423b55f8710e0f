--[[
Copy a coupon's sale state and window from PostgreSQL after an operator
changed them (pause, resume, close, a new window). Keys that hold nothing yet
are left alone: whoever loads the coupon reads PostgreSQL afterwards, and
checks it once more after publishing (CouponStore.publish).

KEYS[1]  coupon:{id}:meta  hash: limit, tag, state, startsAt, endsAt, saleVersion
ARGV[1]  the change-notice channel, told ARGV[2] (the coupon id) when the sale is written
ARGV[3]  state: open | paused | closed
ARGV[4]  startsAt in ms, or '' for none
ARGV[5]  endsAt in ms, or '' for none
ARGV[6]  saleVersion from PostgreSQL

Returns
  1  written
  0  nothing to write: the keys are absent, or hold this version or a newer one
]]
-- @include writeSale
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local written = writeSale(KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
-- A resumed or reopened sale may admit again: what processes remember of it must go.
if written == 1 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return written
