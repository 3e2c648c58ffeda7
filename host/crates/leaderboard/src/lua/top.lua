-- The first n lines of a board, from the cached view when it is there.
-- KEYS: 1 board zset, 2 its view
-- ARGV: 1 n, 2 view size, 3 view ttl ms
-- Returns member, score, member, score, ...
local n, vn = tonumber(ARGV[1]), tonumber(ARGV[2])
if n > vn then
  return redis.call('ZREVRANGE', KEYS[1], 0, n - 1, 'WITHSCORES')
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.call('LRANGE', KEYS[2], 0, 2 * n - 1)
end
-- The view expired (no write for view-ttl): rebuild it from the board.
-- Writes refresh it in the same script as the board, so it is never stale.
local top = redis.call('ZREVRANGE', KEYS[1], 0, vn - 1, 'WITHSCORES')
if #top == 0 then return top end
redis.call('RPUSH', KEYS[2], unpack(top))
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local out = {}
for i = 1, math.min(#top, 2 * n) do out[i] = top[i] end
return out
