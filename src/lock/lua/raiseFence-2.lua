--[[
Redlock round two, on one node: record a fencing token, so that any later
majority reads at least this token.

The counter is raised even where the lock is not ours: raising a counter only
makes later tokens larger, and it repairs a node that restarted empty. Only a
write made while this node still holds our lock counts toward the quorum,
because only then is it ordered before the next holder's read here.

KEYS[1]  lock:{resource}        string: owner token
KEYS[2]  lock:{resource}:fence  decimal string: highest token recorded here
ARGV[1]  owner token
ARGV[2]  fencing token, decimal string without leading zeros

Returns
  1  recorded while this node holds our lock (counts toward the quorum)
  0  recorded, but the lock here is not ours (does not count)
]]
-- Compare as decimal strings: Lua numbers are doubles and lose digits past 2^53.
local function greater(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end

local current = redis.call('GET', KEYS[2])
if not current or greater(ARGV[2], current) then
  redis.call('SET', KEYS[2], ARGV[2])
end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
