-- wrk script: POST a small error envelope (~2 KB, the size @sentry/node sends for an error)
-- to the tunnel, with a DSN the tunnel remaps. TUNNEL_DSN sets the DSN.
local dsn = os.getenv("TUNNEL_DSN") or "https://old1@sentry.example.com/4"
local counter = 0
local event = string.format(
  '{"exception":{"values":[{"type":"TypeError","value":"Cannot read properties of undefined",' ..
  '"stacktrace":{"frames":[%s]}}]},"platform":"node","level":"error"}',
  string.rep('{"filename":"/app/dist/server.js","function":"handler","lineno":120,"colno":17,' ..
             '"in_app":true,"context_line":"    return items.map((i) => i.value);"},', 12) ..
  '{"filename":"/app/dist/index.js","function":"main","lineno":1,"in_app":true}')

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
  counter = math.random(1, 2 ^ 30)
end

function request()
  counter = counter + 1
  local id = string.format("%08x%08x%08x%08x", counter % 2 ^ 31, math.random(0, 2 ^ 31),
                           math.random(0, 2 ^ 31), math.random(0, 2 ^ 31))
  local body = '{"event_id":"' .. id .. '","dsn":"' .. dsn .. '","sent_at":"2026-01-01T00:00:00Z"}\n' ..
               '{"type":"event","length":' .. #event .. '}\n' .. event .. '\n'
  return wrk.format("POST", "/tunnel", {["Content-Type"] = "application/x-sentry-envelope"}, body)
end
