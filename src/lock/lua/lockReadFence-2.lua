--[[
Redlock round one, on one node: take the lock if it is free and report this
node's fence counter, so the caller can pick a token above every counter of
a majority.

KEYS[1]  lock:{resource}        string: owner token; its TTL is the lease
KEYS[2]  lock:{resource}:fence  decimal string: highest token recorded here (no TTL)
ARGV[1]  owner token
ARGV[2]  lease in ms

Returns
  string  taken: this node's fence counter ("0" when it has none)
  n >= 0  busy: the current holder's lease ends in n ms
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('GET', KEYS[2]) or '0'
end
return math.max(redis.call('PTTL', KEYS[1]), 0)
