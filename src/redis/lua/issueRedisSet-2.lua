--[[
Admit one shopper to a coupon, atomically.

KEYS[1]  coupon:{id}:meta    hash: limit, ready ("1" once loaded from PostgreSQL)
KEYS[2]  coupon:{id}:issued  set of admitted userIds
ARGV[1]  userId (canonical decimal string)

Returns
  0  NOT_LOADED  the keys are missing (first use, or Redis lost its data):
                 load them from PostgreSQL and try again
  1  ADMITTED    userId was added; the caller must persist it or undo
  2  DUPLICATE   userId was already admitted
  3  SOLD_OUT    the set already holds `limit` members
]]
if redis.call('HGET', KEYS[1], 'ready') ~= '1' then return 0 end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 2 end
local limit = tonumber(redis.call('HGET', KEYS[1], 'limit'))
if redis.call('SCARD', KEYS[2]) >= limit then return 3 end
redis.call('SADD', KEYS[2], ARGV[1])
-- Re-verify after adding: should the limit ever be exceeded (a limit lowered
-- by hand, a bug elsewhere), take the member back rather than over-admit.
if redis.call('SCARD', KEYS[2]) > limit then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 3
end
return 1
