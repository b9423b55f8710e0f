--[[
Admit one shopper to a queued coupon, atomically: the queue never holds more
than the coupons still available, and admission order is queue order.

KEYS[1]  coupon:{id}:meta     hash: limit, tag, and the sale: state, startsAt, endsAt, saleVersion
KEYS[2]  coupon:{id}:issued   set of admitted userIds (issued + queued)
KEYS[3]  coupon:{id}:pending  hash userId -> admittedAt (ms) while queued
KEYS[4]  coupon:{id}:queue    list of "userId:admittedAt", oldest first
ARGV[1]  userId
ARGV[2]  now, in ms
ARGV[3]  the coupon's ledger tag

Returns
  0  NOT_LOADED         missing or from another ledger state: load and retry
  1  ADMITTED           queued; the answer is 202 PENDING
  2  DUPLICATE          already issued (or decided)
  3  SOLD_OUT           no coupons left to admit
  4  DUPLICATE_PENDING  already queued and still waiting
  5  PAUSED       the sale is paused (see includes/saleRefusal.lua)
  6  ENDED        the sale is closed or past its window
  7  NOT_STARTED  the sale window has not opened
]]
-- @include admissionRefusal
local refusal = admissionRefusal(KEYS[1], ARGV[3])
if refusal then return refusal end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 4 end
  return 2
end
if redis.call('SCARD', KEYS[2]) >= tonumber(redis.call('HGET', KEYS[1], 'limit')) then return 3 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[4], ARGV[1] .. ':' .. ARGV[2])
return 1
