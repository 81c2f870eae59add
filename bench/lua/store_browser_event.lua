-- wrk script: POST browser JavaScript events to /api/<project>/store/ as @sentry/browser
-- describes them: a request with its URL and User-Agent (one of a dozen real browsers), an
-- exception with 20 frames from bundle URLs, breadcrumbs making up the rest of EVENT_BYTES.
-- 100 error sites (so 100 issues), a fresh event id each, a user id out of 500.
local key = os.getenv("FERRY_KEY")
local project = os.getenv("FERRY_PROJECT") or "1"
local size = tonumber(os.getenv("EVENT_BYTES") or "5000")
local headers = {
  ["X-Sentry-Auth"] = "Sentry sentry_version=7, sentry_key=" .. key,
  ["Content-Type"] = "application/json",
}
local path = "/api/" .. project .. "/store/"
local counter = 0

local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
  "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
}

local function frames(site)
  local out = {}
  for i = 1, 20 do
    local file = i <= 12 and "vendor.3f9a1c2e.js" or "app.8b7d6e5f.js"
    out[i] = string.format(
      '{"filename":"https://shop.example.com/static/js/%s","function":"%s%d","lineno":%d,' ..
      '"colno":%d,"in_app":%s}',
      file, i <= 12 and "dispatch" or "handle", i == 20 and site or i, 1, 1000 + i * 37,
      i <= 12 and "false" or "true")
  end
  return table.concat(out, ",")
end

-- Breadcrumbs make up the size, as in real events.
local function crumbs(bytes)
  local out, n = {}, math.max(1, math.floor(bytes / 200))
  for i = 1, n do
    out[i] = string.format(
      '{"timestamp":1710152100.%03d,"category":"ui.click","message":"body > div#app > main > button.checkout-%d %s"}',
      i % 1000, i, string.rep("q", 80))
  end
  return table.concat(out, ",")
end

local site_frames = {}
for s = 0, 99 do site_frames[s] = frames(s) end
local filler

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
  counter = math.random(1, 2 ^ 30)
  -- The part that does not vary, to size the breadcrumbs.
  local probe = request_body(0, string.rep("0", 32), "")
  filler = crumbs(size - #probe)
end

function request_body(n, id, padding)
  local site = n % 100
  return string.format(
    '{"event_id":"%s","platform":"javascript","level":"error","release":"shop@2.%d",' ..
    '"environment":"production","sdk":{"name":"sentry.javascript.browser","version":"7.120.0"},' ..
    '"user":{"id":"u%d"},' ..
    '"request":{"url":"https://shop.example.com/checkout/%d?step=2",' ..
    '"headers":{"User-Agent":"%s","Referer":"https://shop.example.com/cart"}},' ..
    '"exception":{"values":[{"type":"TypeError","value":"Cannot read properties of undefined (reading \'total%d\')",' ..
    '"mechanism":{"type":"onerror","handled":false},"stacktrace":{"frames":[%s]}}]},' ..
    '"breadcrumbs":{"values":[%s]}}',
    id, site % 5, n % 500, site, agents[(n % #agents) + 1], site, site_frames[site], padding)
end

function request()
  counter = counter + 1
  local id = string.format("%08x%08x%08x%08x", math.random(0, 2 ^ 31), math.random(0, 2 ^ 31),
                           counter % 2 ^ 31, math.random(0, 2 ^ 31))
  return wrk.format("POST", path, headers, request_body(counter, id, filler))
end
