--[[
Single-node acquire: take the lock if it is free and hand out the next
fencing token in the same atomic step, so no holder ever goes without one.

KEYS[1]  lock:{resource}        string: owner token; its TTL is the lease
KEYS[2]  lock:{resource}:fence  integer: last fencing token handed out (no TTL)
ARGV[1]  owner token
ARGV[2]  lease in ms

Returns
  string  taken: the new fencing token, as a decimal string (exact past 2^53)
  n >= 0  busy: the current holder's lease ends in n ms
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('INCR', KEYS[2])
  return redis.call('GET', KEYS[2])
end
return math.max(redis.call('PTTL', KEYS[1]), 0)
