--[[
Which of these shoppers would be admitted, in order? Reads only; the lock
strategy asks inside its lock for a whole batch of waiting shoppers, and adds
the winners itself once PostgreSQL has committed their rows.

KEYS[1]  coupon:{id}:meta    hash: limit, tag, and the sale: state, startsAt, endsAt, saleVersion
KEYS[2]  coupon:{id}:issued  set of issued userIds
ARGV[1]  the coupon's ledger tag
ARGV[2..] userIds, in arrival order, no repeats

Returns
  0               NOT_LOADED: missing or from another ledger state
  { room, f1..fn } room = places left; fi = 1 if the i-th userId is already issued
  5, 6 or 7       the sale admits no one now: PAUSED, ENDED or NOT_STARTED
                  (see includes/saleRefusal.lua)
]]
-- @include admissionRefusal
local refusal = admissionRefusal(KEYS[1], ARGV[1])
if refusal then return refusal end
local room = tonumber(redis.call('HGET', KEYS[1], 'limit')) - redis.call('SCARD', KEYS[2])
local reply = redis.call('SMISMEMBER', KEYS[2], unpack(ARGV, 2))
table.insert(reply, 1, room)
return reply
