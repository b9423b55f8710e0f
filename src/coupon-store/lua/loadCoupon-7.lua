--[[
Publish a coupon's state rebuilt from PostgreSQL, atomically, exactly once
per ledger state.

The loader first copies the userIds it read from PostgreSQL into a private
staging set; this script then swaps it in. Because admission refuses while
the tag differs, and only the first loader to get here publishes, no two
processes can ever admit against two different rebuilt sets. State left by
another ledger state (a re-created or restored database) is discarded whole,
its queue and holds included, never merged. A loaded state is never replaced
here: repairs only add to it (see CouponStore.addLedgerHolders).

KEYS[1]  coupon:{id}:meta            hash: limit, tag, and the sale: state, startsAt, endsAt, saleVersion
KEYS[2]  coupon:{id}:issued          set of admitted userIds
KEYS[3]  coupon:{id}:staging:<uuid>  the loader's staging set (may be absent if empty)
KEYS[4]  coupon:{id}:pending         hash userId -> admittedAt of queued shoppers
KEYS[5]  coupon:{id}:holds           sorted set of held shoppers (no row yet)
KEYS[6]  coupon:{id}:queue           the queue strategy's list
KEYS[7]  coupon:{id}:workers         the queue workers' heartbeats
ARGV[1]  limit read from PostgreSQL
ARGV[2]  the coupon's ledger tag, read from PostgreSQL with the limit
ARGV[3]  the change-notice channel, told ARGV[4] (the coupon id) when a state is published
ARGV[5]  sale state (open | paused | closed), read with the limit
ARGV[6]  startsAt in ms, or '' for none
ARGV[7]  endsAt in ms, or '' for none
ARGV[8]  saleVersion

Returns
  1  published
  0  already loaded from this ledger state by someone else; staging discarded
]]
-- @include writeSale
local current = redis.call('HGET', KEYS[1], 'tag')
if current == ARGV[2] then
  redis.call('UNLINK', KEYS[3])
  return 0
end
if current then
  -- Queued and held shoppers of another ledger must never reach this one.
  redis.call('UNLINK', KEYS[4], KEYS[5], KEYS[6], KEYS[7])
  redis.call('HDEL', KEYS[1], 'limit', 'saleVersion')
end
-- UNLINK frees a large old set in the background instead of inside this script.
redis.call('UNLINK', KEYS[2])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
  redis.call('PERSIST', KEYS[2])
end
-- Queued and held shoppers (after a flush: none) have places but no rows yet; they keep them.
local waiting = redis.call('HKEYS', KEYS[4])
for _, userId in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do table.insert(waiting, userId) end
for i = 1, #waiting, 1000 do
  redis.call('SADD', KEYS[2], unpack(waiting, i, math.min(i + 999, #waiting)))
end
-- A limit written by PUT /limit while we were loading is newer than ours.
redis.call('HSETNX', KEYS[1], 'limit', ARGV[1])
-- Likewise a sale written by an operator while we were loading, if newer.
writeSale(KEYS[1], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
redis.call('HSET', KEYS[1], 'tag', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
