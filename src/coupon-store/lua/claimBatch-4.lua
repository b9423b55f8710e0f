--[[
Reliable-queue claim: move up to ARGV[1] entries from the head of the queue
to this worker's processing list, in order, and stamp the worker's
heartbeat. Entries stay there until finishBatch removes them, so a worker
that dies mid-batch loses nothing: requeueStale hands them back. Nothing is
claimed from a queue built from another ledger state than the worker's.

KEYS[1]  coupon:{id}:queue                 list of "userId:admittedAt"
KEYS[2]  coupon:{id}:processing:<worker>   this worker's processing list
KEYS[3]  coupon:{id}:workers               hash worker -> last heartbeat (ms)
KEYS[4]  coupon:{id}:meta                  hash: limit, tag
ARGV[1]  max entries to claim
ARGV[2]  worker id
ARGV[3]  now, in ms
ARGV[4]  the coupon's ledger tag

Returns the claimed entries (oldest first); empty when the queue is empty.
An unfinished earlier batch in the processing list is returned first.
]]
if redis.call('HGET', KEYS[4], 'tag') ~= ARGV[4] then return {} end
local held = redis.call('LRANGE', KEYS[2], 0, -1)
if #held > 0 then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
  return held
end
local n = tonumber(ARGV[1])
local entries = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #entries == 0 then return entries end
redis.call('LTRIM', KEYS[1], #entries, -1)
for i = 1, #entries, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(entries, i, math.min(i + 999, #entries)))
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return entries
