-- wrk script for bench/wrk.py: one method, a rotation of paths (and bodies),
-- an optional Authorization header; done() prints one line "BENCH " + JSON.
--
-- Environment:
--   BENCH_METHOD   GET (default) or POST
--   BENCH_PATHS    a file, one path a line; each request takes the next
--   BENCH_BODIES   a file, one JSON body a line (POST); "{n}" in a body becomes a
--                  number no other request of this run uses (distinct topics)
--   BENCH_AUTH     the Authorization header's value, if any
--   BENCH_THREADS  how many wrk threads there are (to keep "{n}" distinct)

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local function lines(name)
  local found = {}
  if name == nil or name == "" then return found end
  for line in io.lines(name) do
    if line ~= "" then table.insert(found, line) end
  end
  return found
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  paths = lines(os.getenv("BENCH_PATHS"))
  bodies = lines(os.getenv("BENCH_BODIES"))
  headers = {}
  local auth = os.getenv("BENCH_AUTH")
  if auth and auth ~= "" then headers["Authorization"] = auth end
  if #bodies > 0 then headers["Content-Type"] = "application/json" end
  stride = tonumber(os.getenv("BENCH_THREADS") or "1")
  -- Threads start at different places in the rotation, so they do not all hit
  -- the same row at once.
  counter = thread_id
  non2xx = 0
end

function request()
  counter = counter + stride
  local path = paths[(counter % #paths) + 1]
  local body = nil
  if #bodies > 0 then
    body = string.gsub(bodies[(counter % #bodies) + 1], "{n}", tostring(counter))
  end
  return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
