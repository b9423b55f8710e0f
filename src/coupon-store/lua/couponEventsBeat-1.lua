--[[
A beat of the coupon change-notice channel: publish this process's beat
number together with the epoch of Redis's data, a random value kept in a key
and made anew whenever Redis has lost it (a flush, a restart without its
data). A listener that hears the epoch change knows Redis forgot things no
notice announced, and forgets what it learned from Redis.

KEYS[1]  coupons:epoch   string, the epoch
ARGV[1]  the channel to publish on (the beating process's own)
ARGV[2]  the beat number
ARGV[3]  a fresh random value, the new epoch should the key be missing

Returns the epoch.
]]
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[3]
  redis.call('SET', KEYS[1], epoch)
end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ':' .. epoch)
return epoch
