--[[
Publish a coupon's state rebuilt from PostgreSQL, atomically, exactly once.

The loader first copies the userIds it read from PostgreSQL into a private
staging set; this script then swaps it in. Because admission refuses while
"ready" is unset, and only the first loader to get here publishes, no two
processes can ever admit against two different rebuilt sets.

KEYS[1]  coupon:{id}:meta            hash: limit, ready
KEYS[2]  coupon:{id}:issued          set of admitted userIds
KEYS[3]  coupon:{id}:staging:<uuid>  the loader's staging set (may be absent if empty)
KEYS[4]  coupon:{id}:pending         hash userId -> admittedAt of queued shoppers
                                     (queue strategy); they stay admitted
ARGV[1]  limit read from PostgreSQL
ARGV[2]  force: "1" replaces a loaded state (reconcile), "0" only fills a missing one

Returns
  1  published
  0  already loaded by someone else; the staging set was discarded
]]
if ARGV[2] ~= '1' and redis.call('HGET', KEYS[1], 'ready') == '1' then
  redis.call('DEL', KEYS[3])
  return 0
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
  redis.call('PERSIST', KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
local pending = redis.call('HKEYS', KEYS[4])
for i = 1, #pending, 1000 do
  redis.call('SADD', KEYS[2], unpack(pending, i, math.min(i + 999, #pending)))
end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'limit', ARGV[1])
else
  -- A limit written by PUT /limit while we were loading is newer than ours.
  redis.call('HSETNX', KEYS[1], 'limit', ARGV[1])
end
redis.call('HSET', KEYS[1], 'ready', '1')
return 1
