--[[
Which of these shoppers would be admitted, in order? Reads only; the lock
strategy asks inside its lock for a whole batch of waiting shoppers, and adds
the winners itself once PostgreSQL has committed their rows.

KEYS[1]  coupon:{id}:meta    hash: limit, ready
KEYS[2]  coupon:{id}:issued  set of issued userIds
ARGV     userIds, in arrival order, no repeats

Returns
  0               NOT_LOADED: load the coupon from PostgreSQL and ask again
  { room, f1..fn } room = places left; fi = 1 if ARGV[i] is already issued
]]
if redis.call('HGET', KEYS[1], 'ready') ~= '1' then return 0 end
local room = tonumber(redis.call('HGET', KEYS[1], 'limit')) - redis.call('SCARD', KEYS[2])
local reply = redis.call('SMISMEMBER', KEYS[2], unpack(ARGV))
table.insert(reply, 1, room)
return reply
