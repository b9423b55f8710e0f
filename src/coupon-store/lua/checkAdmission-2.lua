--[[
Would this shopper be admitted? Reads only; the lock strategy asks once
outside its lock (fast answers for duplicates and sold out) and once inside,
and adds the shopper itself only after PostgreSQL has committed the row.

KEYS[1]  coupon:{id}:meta    hash: limit, tag, and the sale: state, startsAt, endsAt, saleVersion
KEYS[2]  coupon:{id}:issued  set of issued userIds
ARGV[1]  userId
ARGV[2]  the coupon's ledger tag

Returns
  0  NOT_LOADED  missing or from another ledger state: load and ask again
  1  ROOM        not issued yet, and below the limit
  2  DUPLICATE   already issued
  3  SOLD_OUT    the limit is reached
  5  PAUSED       the sale is paused (see includes/saleRefusal.lua)
  6  ENDED        the sale is closed or past its window
  7  NOT_STARTED  the sale window has not opened
]]
-- @include admissionRefusal
local refusal = admissionRefusal(KEYS[1], ARGV[2])
if refusal then return refusal end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 2 end
if redis.call('SCARD', KEYS[2]) >= tonumber(redis.call('HGET', KEYS[1], 'limit')) then return 3 end
return 1
