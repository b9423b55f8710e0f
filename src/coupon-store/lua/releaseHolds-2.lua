--[[
Give back the places of held shoppers PostgreSQL refused (the ledger's limit
was reached first). Only a place still held is given back: a shopper whose
row was confirmed meanwhile keeps theirs.

KEYS[1]  coupon:{id}:issued  set of admitted userIds
KEYS[2]  coupon:{id}:holds   sorted set userId -> settle-by time
ARGV     userIds

Returns the number of places given back.
]]
local released = 0
for _, userId in ipairs(ARGV) do
  if redis.call('ZREM', KEYS[2], userId) == 1 then
    released = released + redis.call('SREM', KEYS[1], userId)
  end
end
return released
