-- Ends a rebuild: swaps the scratch keys in for the live ones in one step,
-- so readers see the old boards or the new ones, never a mix.
-- KEYS: 1-5 scratch data keys, 6-10 live data keys (order of
--       GameKeys::data), 11 players view, 12 teams view
-- ARGV: 1 board ttl ms, 2 view ttl ms, 3 view size
for k = 1, 5 do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    redis.call('RENAME', KEYS[k], KEYS[k + 5])
    redis.call('PEXPIRE', KEYS[k + 5], ARGV[1])
  else
    -- Nothing of this kind in the ledger (a game without teams).
    redis.call('DEL', KEYS[k + 5])
  end
end
local vn = tonumber(ARGV[3])
for b = 0, 1 do
  local z, v = KEYS[6 + 2 * b], KEYS[11 + b]
  redis.call('DEL', v)
  local top = redis.call('ZREVRANGE', z, 0, vn - 1, 'WITHSCORES')
  if #top > 0 then
    redis.call('RPUSH', v, unpack(top))
    redis.call('PEXPIRE', v, ARGV[2])
  end
end
return 1
