-- An id's line with up to k neighbours on each side.
-- KEYS: 1 board zset, 2 its reached-at hash
-- ARGV: 1 id, 2 k
-- Returns {} when the id is not on the board, else
-- first rank (0-based), member, score, member, score, ...
local inv = redis.call('HGET', KEYS[2], ARGV[1])
if not inv then return {} end
local r = redis.call('ZREVRANK', KEYS[1], inv .. '|' .. ARGV[1])
if not r then return {} end
local k = tonumber(ARGV[2])
local start = math.max(0, r - k)
local out = redis.call('ZREVRANGE', KEYS[1], start, r + k, 'WITHSCORES')
table.insert(out, 1, tostring(start))
return out
