--[[
Give back the places of held shoppers PostgreSQL refused (the ledger's limit
was reached first). Only a place still held is given back: a shopper whose
row was confirmed meanwhile keeps theirs.

KEYS[1]  coupon:{id}:issued  set of admitted userIds
KEYS[2]  coupon:{id}:holds   sorted set userId -> settle-by time
ARGV[1]  the change-notice channel, told ARGV[2] (the coupon id) when a place is given back
ARGV[3..] userIds

Returns the number of places given back.
]]
local released = 0
for i = 3, #ARGV do
  if redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then
    released = released + redis.call('SREM', KEYS[1], ARGV[i])
  end
end
if released > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return released
