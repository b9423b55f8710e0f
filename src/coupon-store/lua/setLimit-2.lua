--[[
Change a coupon's limit, refusing to go below what is already admitted.

KEYS[1]  coupon:{id}:meta    hash: limit, tag, and the sale: state, startsAt, endsAt, saleVersion
KEYS[2]  coupon:{id}:issued  set of admitted userIds
ARGV[1]  new limit
ARGV[2]  the coupon's ledger tag
ARGV[3]  the change-notice channel, told ARGV[4] (the coupon id) when the limit is set

Returns
  -1     set (or recorded for the next load, when the coupon is not loaded)
  n >= 0 refused: n shoppers are already admitted and n > new limit
]]
local admitted = redis.call('SCARD', KEYS[2])
if redis.call('HGET', KEYS[1], 'tag') == ARGV[2] and admitted > tonumber(ARGV[1]) then
  return admitted
end
redis.call('HSET', KEYS[1], 'limit', ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return -1
