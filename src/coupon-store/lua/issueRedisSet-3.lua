--[[
Admit one shopper to a coupon, atomically, as a hold: the shopper takes a
place now, and the place stays theirs until their row is written (the hold
is confirmed) or PostgreSQL refuses it (the hold is released). A hold nobody
confirms in time (its caller gave up, its process died, PostgreSQL was away)
is settled by any process's hold sweeper, so a place is never lost to a
caller who stopped listening.

KEYS[1]  coupon:{id}:meta    hash: limit, tag (the ledger state it was loaded from), sale fields
KEYS[2]  coupon:{id}:issued  set of admitted userIds (written or held)
KEYS[3]  coupon:{id}:holds   sorted set userId -> settle-by time (ms, Redis clock)
ARGV[1]  userId (canonical decimal string)
ARGV[2]  the coupon's ledger tag, as the caller read it from PostgreSQL
ARGV[3]  how long the caller may take to write the row before sweepers step in (ms)

Returns
  0  NOT_LOADED  missing, or loaded from another ledger state: load and retry
  1  ADMITTED    userId now holds a place; the caller writes the row, then confirms
  2  DUPLICATE   userId's row is written
  3  SOLD_OUT    every place is written or held
  4  HELD        userId holds a place whose row is not confirmed yet
  5  PAUSED       the sale is paused (see includes/saleRefusal.lua)
  6  ENDED        the sale is closed or past its window
  7  NOT_STARTED  the sale window has not opened
]]
-- @include admissionRefusal
local refusal = admissionRefusal(KEYS[1], ARGV[2])
if refusal then return refusal end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 4 end
  return 2
end
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if redis.call('SCARD', KEYS[2]) >= limit then return 3 end
redis.call('SADD', KEYS[2], ARGV[1])
-- Re-verify after adding: should the limit ever be exceeded (a limit lowered
-- by hand, a bug elsewhere), take the member back rather than over-admit.
if redis.call('SCARD', KEYS[2]) > limit then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 3
end
-- Redis's own clock: a command that ran late still gets its full time.
local now = redis.call('TIME')
redis.call('ZADD', KEYS[3], now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ARGV[3]), ARGV[1])
return 1
