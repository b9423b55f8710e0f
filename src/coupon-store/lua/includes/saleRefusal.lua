--[[
saleRefusal(meta): whether the sale admits anyone now, from the sale fields
of the coupon's meta hash (written by setSale-1.lua and loadCoupon-7.lua,
copied from PostgreSQL). Checked inside each admission script, so an
operator's pause or close holds for every process the moment Redis has it.

Returns nil when the sale is open, else
  5  PAUSED       paused by an operator; shoppers may come back
  6  ENDED        closed by an operator, or past endsAt
  7  NOT_STARTED  before startsAt
Times are compared on Redis's own clock, in ms.
]]
local function saleRefusal(meta)
  local sale = redis.call('HMGET', meta, 'state', 'startsAt', 'endsAt')
  if sale[1] == 'closed' then return 6 end
  local now = 0
  if sale[2] or sale[3] then
    local t = redis.call('TIME')
    now = t[1] * 1000 + math.floor(t[2] / 1000)
  end
  if sale[3] and now >= tonumber(sale[3]) then return 6 end
  if sale[1] == 'paused' then return 5 end
  if sale[2] and now < tonumber(sale[2]) then return 7 end
  return nil
end
