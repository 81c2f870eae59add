-- wrk script: POST prepared envelopes (bench/make_payloads.mjs) round-robin.
--   PAYLOAD=DIR/small|DIR/medium|DIR/large   files PAYLOAD.0 .. PAYLOAD.7
--   GZIP=1        send Content-Encoding: gzip
--   CONN_CLOSE=1  Connection: close (a new TCP connection per request)
--   URL_PATH      request path (default /tunnel)
--   RATE          total requests/s to aim for across CONNS connections (closed loop with a
--                 per-connection delay); unset = as fast as possible
--   CONNS         the -c value (needed with RATE)
-- done() prints one machine-readable line: BENCH requests= duration_us= rps= p50_us= ...
local prefix = os.getenv("PAYLOAD")
local path = os.getenv("URL_PATH") or "/tunnel"
local headers = { ["Host"] = "127.0.0.1", ["Content-Type"] = "application/x-sentry-envelope" }
if os.getenv("GZIP") == "1" then headers["Content-Encoding"] = "gzip" end
if os.getenv("CONN_CLOSE") == "1" then headers["Connection"] = "close" end

local reqs = {}
for i = 0, 15 do
  local f = io.open(prefix .. "." .. i, "rb")
  if not f then break end
  local body = f:read("*a")
  f:close()
  reqs[#reqs + 1] = wrk.format("POST", path, headers, body)
end
if #reqs == 0 then error("no payload files at " .. tostring(prefix)) end

local rate = tonumber(os.getenv("RATE") or "")
local conns = tonumber(os.getenv("CONNS") or "1")
local interval_ms = rate and (conns * 1000.0 / rate) or nil
local n = 0

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
  n = math.random(1, #reqs)
end

if interval_ms then
  -- wrk delays in whole milliseconds: round randomly so the mean is the fractional interval.
  function delay()
    local base = math.floor(interval_ms)
    if math.random() < interval_ms - base then base = base + 1 end
    return base
  end
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d p999_us=%d max_us=%d " ..
    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
