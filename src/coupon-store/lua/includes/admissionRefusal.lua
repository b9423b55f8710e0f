--[[
admissionRefusal(meta, tag): why an admission script may not go on, or nil
when it may. Every admission script starts with it.

Returns nil, else
  0        NOT_LOADED: the coupon is not in Redis, or was loaded from another
           ledger state (its meta hash carries another tag): load and retry
  5, 6, 7  the sale admits no one now: PAUSED, ENDED, NOT_STARTED (saleRefusal)
]]
-- @include saleRefusal
local function admissionRefusal(meta, tag)
  if redis.call('HGET', meta, 'tag') ~= tag then return 0 end
  return saleRefusal(meta)
end
