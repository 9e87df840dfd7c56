-- wrk script for bench/soak.py: POST /v1/intro-requests with a distinct topic
-- every time, spread over the people in SOAK_PEOPLE (a file, one id a line) so
-- no connector goes over the ask budget of 100 open asks.
--
-- SOAK_RATE (requests per second over all threads; 0 or unset: as fast as the
-- server answers) paces the requests: each thread hands out send times at its
-- share of the rate, and delay() waits until the slot of the next request.
-- SOAK_RUN tags the topics, so two runs on one database never collide.
-- done() prints one line starting with "SOAK " and a JSON object: what
-- bench/soak.py reads back (requests, statuses, socket errors, latency).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
  int clock_gettime(int clock, soak_timespec *ts);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("soak_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  people = {}
  for line in io.lines(os.getenv("SOAK_PEOPLE")) do
    if line ~= "" then table.insert(people, line) end
  end
  run = os.getenv("SOAK_RUN") or "run"
  threads_total = tonumber(os.getenv("SOAK_THREADS") or "1")
  local rate = tonumber(os.getenv("SOAK_RATE") or "0")
  interval = rate > 0 and (1000 * threads_total / rate) or 0
  next_at = nil
  sent = 0
  statuses = {}
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  -- A slot already missed by more than a second is not made up in a burst.
  local slot = math.max(next_at or now, now - 1000)
  next_at = slot + interval
  return math.max(0, math.floor(slot - now))
end

function request()
  local n = sent * threads_total + thread_id
  sent = sent + 1
  local asker = people[(n % #people) + 1]
  local connector = people[((n + 1) % #people) + 1]
  local body = string.format(
    '{"asker_id":"%s","connector_id":"%s","topic":"soak %s %d","message":"A soak test ask."}',
    asker, connector, run, n)
  return wrk.format("POST", "/v1/intro-requests", nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%s":%d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'SOAK {"requests":%d,"duration_us":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
