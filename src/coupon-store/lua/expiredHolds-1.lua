--[[
Holds whose settle-by time has passed on Redis's clock: their callers did not
confirm them in time, so a sweeper writes their rows (or releases them if
PostgreSQL refuses). Reads only.

KEYS[1]  coupon:{id}:holds  sorted set userId -> settle-by time (ms)
ARGV[1]  at most this many

Returns the expired userIds, oldest first.
]]
local now = redis.call('TIME')
return redis.call('ZRANGE', KEYS[1], '-inf', now[1] * 1000 + math.floor(now[2] / 1000), 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]))
