-- wrk script: POST legacy JSON events to /api/<project>/store/, spread over 100 error sites
-- (so 100 issues), each with a fresh event id. EVENT_BYTES sets the event size, FERRY_KEY the
-- project key, FERRY_PROJECT the project id.
local key = os.getenv("FERRY_KEY")
local project = os.getenv("FERRY_PROJECT") or "1"
local size = tonumber(os.getenv("EVENT_BYTES") or "5000")
local headers = {
  ["X-Sentry-Auth"] = "Sentry sentry_version=7, sentry_key=" .. key,
  ["Content-Type"] = "application/json",
}
local path = "/api/" .. project .. "/store/"
local counter = 0

-- Breadcrumbs make up the size, as in real events.
local function crumbs(bytes)
  local out, n = {}, math.max(1, math.floor(bytes / 200))
  for i = 1, n do
    out[i] = string.format('{"category":"http","message":"GET /api/items/%d %s","level":"info"}',
                           i, string.rep("q", 120))
  end
  return table.concat(out, ",")
end
local filler = crumbs(size - 600)

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
  counter = math.random(1, 2 ^ 30)
end

function request()
  counter = counter + 1
  local site = counter % 100
  local id = string.format("%08x%08x%08x%08x", math.random(0, 2 ^ 31), math.random(0, 2 ^ 31),
                           counter % 2 ^ 31, math.random(0, 2 ^ 31))
  local body = string.format(
    '{"event_id":"%s","platform":"python","level":"error","release":"1.0.%d",' ..
    '"exception":{"values":[{"type":"ValueError%d","value":"bad value %d",' ..
    '"stacktrace":{"frames":[{"module":"app.views","function":"dispatch","lineno":10,"in_app":true},' ..
    '{"module":"app.site%d","function":"handler%d","lineno":%d,"in_app":true}]}}]},' ..
    '"breadcrumbs":{"values":[%s]}}',
    id, site, site, counter, site, site, counter % 50, filler)
  return wrk.format("POST", path, headers, body)
end
