-- Applies one game's reward entries atomically (see order.rs for the order).
-- KEYS: 1 players zset, 2 players reached-at hash, 3 teams zset,
--       4 teams reached-at hash, 5 applied reward ids, 6 players view,
--       7 teams view
-- ARGV: 1 board ttl ms, 2 view ttl ms, 3 view size, 4 max |score|,
--       then 5 per entry: reward id, player, team ('' = none), delta, inv_at
-- Returns the number of entries counted now (the rest were duplicates).
local ttl, vttl = ARGV[1], ARGV[2]
local vn, maxs = tonumber(ARGV[3]), tonumber(ARGV[4])

-- Moves id's member to its new score and time. inv_at strings are fixed
-- width, so compare them as numbers (exact: at most 13 digits); the
-- smaller inv_at is the later time, and the later time is kept.
local function bump(z, h, id, delta, inv)
  local score = 0
  local old = redis.call('HGET', h, id)
  if old then
    local om = old .. '|' .. id
    score = tonumber(redis.call('ZSCORE', z, om) or '0')
    redis.call('ZREM', z, om)
    if tonumber(old) < tonumber(inv) then inv = old end
  end
  -- Exact in doubles up to 2^53; saturate like order::add_score.
  score = score + delta
  if score > maxs then score = maxs elseif score < -maxs then score = -maxs end
  -- redis.call formats numbers losslessly (not Lua's %.14g).
  redis.call('ZADD', z, score, inv .. '|' .. id)
  redis.call('HSET', h, id, inv)
end

local function refresh_view(z, v)
  redis.call('DEL', v)
  local top = redis.call('ZREVRANGE', z, 0, vn - 1, 'WITHSCORES')
  if #top > 0 then
    redis.call('RPUSH', v, unpack(top))
    redis.call('PEXPIRE', v, vttl)
  end
end

local counted, teams = 0, false
for i = 5, #ARGV, 5 do
  if redis.call('SADD', KEYS[5], ARGV[i]) == 1 then
    counted = counted + 1
    local delta = tonumber(ARGV[i + 3])
    if delta ~= 0 then
      bump(KEYS[1], KEYS[2], ARGV[i + 1], delta, ARGV[i + 4])
      if ARGV[i + 2] ~= '' then
        bump(KEYS[3], KEYS[4], ARGV[i + 2], delta, ARGV[i + 4])
        teams = true
      end
    end
  end
end

-- Every write refreshes every TTL, so a live game never loses a key and a
-- finished one loses them all together.
for k = 1, 5 do redis.call('PEXPIRE', KEYS[k], ttl) end
if counted > 0 then refresh_view(KEYS[1], KEYS[6]) end
if teams then refresh_view(KEYS[3], KEYS[7]) end
return counted
