--[[
Set a held lock's lease to a new length from now, only for its owner.

KEYS[1]  lock:{resource}  string: owner token; its TTL is the lease
ARGV[1]  owner token
ARGV[2]  new lease in ms, counted from now

Returns
  1  extended
  0  not the owner (the lease ended, maybe someone else holds it): nothing changed
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
