--[[
Settle a persisted batch: forget the pending entries of everyone in this
worker's processing list, drop the list, give rejected shoppers' places back,
park unparseable entries in the dead-letter list, and tell waiting requests
(Prefer: wait) the outcome.

KEYS[1]  coupon:{id}:processing:<worker>   entries "userId:admittedAt"
KEYS[2]  coupon:{id}:pending   hash userId -> admittedAt
KEYS[3]  coupon:{id}:issued    set of admitted userIds
KEYS[4]  coupon:{id}:dead      dead-letter list
KEYS[5]  coupon:{id}:workers   hash worker -> heartbeat
ARGV[1]  worker id
ARGV[2]  channel to publish the outcome message on
ARGV[3]  outcome message
ARGV[4]  the change-notice channel, told ARGV[5] (the coupon id) when a rejected place is given back
ARGV[6]  d = number of dead entries, then d entries
then     the rejected userIds

Returns the number of pending entries settled.
]]
local settled = 0
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local userId = string.match(entry, '^(%d+):')
  if userId then settled = settled + redis.call('HDEL', KEYS[2], userId) end
end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[5], ARGV[1])
local d = tonumber(ARGV[6])
for j = 7, 6 + d do redis.call('RPUSH', KEYS[4], ARGV[j]) end
local freed = 0
for j = 7 + d, #ARGV do freed = freed + redis.call('SREM', KEYS[3], ARGV[j]) end
if freed > 0 then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return settled
