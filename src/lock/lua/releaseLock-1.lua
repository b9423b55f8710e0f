--[[
Release a lock, only for its owner, and wake the waiters.

KEYS[1]  lock:{resource}  string: owner token
ARGV[1]  owner token
ARGV[2]  pub/sub channel of release notifications for this resource

Returns
  1  released, and a notification published on ARGV[2]
  0  not the owner (the lease ended, maybe someone else holds it): nothing changed
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '')
return 1
