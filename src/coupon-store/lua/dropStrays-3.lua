--[[
Remove admitted members that hold no row, no hold and no queue entry
(found by reconcile; e.g. written by hand, or by an older version). A member
that is held or queued by the time this runs keeps its place.

KEYS[1]  coupon:{id}:issued   set of admitted userIds
KEYS[2]  coupon:{id}:holds    sorted set of held shoppers
KEYS[3]  coupon:{id}:pending  hash of queued shoppers
ARGV[1]  the change-notice channel, told ARGV[2] (the coupon id) when a place is freed
ARGV[3..] userIds reconcile found without a row

Returns the number removed.
]]
local removed = 0
for i = 3, #ARGV do
  local userId = ARGV[i]
  if not redis.call('ZSCORE', KEYS[2], userId) and redis.call('HEXISTS', KEYS[3], userId) == 0 then
    removed = removed + redis.call('SREM', KEYS[1], userId)
  end
end
if removed > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return removed
