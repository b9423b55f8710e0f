--[[
Park shoppers whose PostgreSQL write has an unknown outcome as holds, so
every process reports them PENDING and any process's hold sweeper settles
them (writes the row, or records the refusal) even if this one dies.

KEYS[1]  coupon:{id}:issued  set of admitted userIds
KEYS[2]  coupon:{id}:holds   sorted set userId -> settle-by time (ms, Redis clock)
ARGV[1]  settle-by delay (ms)
ARGV[2]  "1": also count their places in the admitted set (the lock
         strategy, which adds members only after their rows commit)
ARGV[3..] userIds

Returns the number of holds added.
]]
local now = redis.call('TIME')
local at = now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ARGV[1])
local added = 0
for i = 3, #ARGV do
  added = added + redis.call('ZADD', KEYS[2], 'NX', at, ARGV[i])
  if ARGV[2] == '1' then redis.call('SADD', KEYS[1], ARGV[i]) end
end
return added
