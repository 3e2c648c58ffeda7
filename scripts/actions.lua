-- wrk script: POST /v1/play/actions with a fresh Idempotency-Key per
-- request (a repeated key would be a replay, not a new action). Tokens
-- come from the TOKENS environment variable (comma-separated), spread
-- over wrk's connections; each thread numbers its own keys.
local tokens = {}
for t in string.gmatch(os.getenv("TOKENS") or "", "[^,]+") do
  tokens[#tokens + 1] = t
end
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + (tid or 0))
end

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local body = '{"kind":"attempt","payload":{"challenge":"c1","answer":"guess-'
    .. counter .. '"}}'
  return wrk.format("POST", "/v1/play/actions", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "wrk-" .. (tid or 0) .. "-" .. counter .. "-" .. os.time(),
  }, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    "JSON {\"requests\":%d,\"duration_s\":%.2f,\"rps\":%.1f,\"non2xx\":%d," ..
    "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"p999_ms\":%.2f,\"max_ms\":%.2f}\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    non2xx, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
