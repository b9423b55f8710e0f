--[[
Hand a silent worker's batch back to the head of the queue, in order, so
another worker persists it (visibility timeout). Only if the worker's
heartbeat is still the stale one we saw: a worker that just woke up and
stamped a new heartbeat keeps its batch.

KEYS[1]  coupon:{id}:workers               hash worker -> last heartbeat (ms)
KEYS[2]  coupon:{id}:processing:<worker>   the stale worker's processing list
KEYS[3]  coupon:{id}:queue
ARGV[1]  worker id
ARGV[2]  the heartbeat value judged stale

Returns the number of entries handed back (-1 if the worker came back).
]]
local seen = redis.call('HGET', KEYS[1], ARGV[1])
if seen and seen ~= ARGV[2] then return -1 end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'LEFT') do moved = moved + 1 end
redis.call('HDEL', KEYS[1], ARGV[1])
return moved
