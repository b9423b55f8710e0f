--[[
writeSale(meta, state, startsAt, endsAt, version): stores a copy of the
coupon's sale (state 'open' | 'paused' | 'closed', window in ms or '' for
none) unless the meta hash already holds this version or a newer one, so
the operator's write and a concurrent rebuild can land in any order.

Returns 1 if written, 0 if what Redis holds is as new.
]]
local function writeSale(meta, state, startsAt, endsAt, version)
  local held = tonumber(redis.call('HGET', meta, 'saleVersion') or '-1')
  if held >= tonumber(version) then return 0 end
  redis.call('HSET', meta, 'state', state, 'saleVersion', version)
  if startsAt == '' then redis.call('HDEL', meta, 'startsAt') else redis.call('HSET', meta, 'startsAt', startsAt) end
  if endsAt == '' then redis.call('HDEL', meta, 'endsAt') else redis.call('HSET', meta, 'endsAt', endsAt) end
  return 1
end
