-- Shared by every scenario script (loaded with dofile).  Each wrk thread
-- counts its 200 and non-200 responses and the signatures it got back; the
-- done() hook adds the threads up and prints one machine-readable line,
--   BENCH-RESULT {json}
-- which bench/run.sh collects.  A non-200 response is a harness failure:
-- the first few of each thread are shown on stderr.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

ok, bad, sigs = 0, 0, 0
local shown = 0

function bench_env(name, default)
   local v = os.getenv(name)
   if v == nil or v == "" then
      if default == nil then
         error("environment variable " .. name .. " is not set")
      end
      return default
   end
   return v
end

function bench_split(s)
   local out = {}
   for item in string.gmatch(s, "[^,]+") do
      out[#out + 1] = item
   end
   return out
end

function bench_bad(status, body)
   bad = bad + 1
   if shown < 3 then
      shown = shown + 1
      io.stderr:write(string.format("wrk: HTTP %d: %s\n", status,
                                    string.sub(body or "", 1, 300)))
   end
end

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "0") or 0
local stop_dir = os.getenv("BENCH_STOP_DIR")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local stopped = false

-- For the memory run: a fixed number of requests per thread.  A thread
-- that has its count stops; wrk itself would still sleep out -d, so the
-- last thread to finish (each leaves a marker file in BENCH_STOP_DIR)
-- has wrk sent the SIGINT that makes it report and exit at once.
function bench_maybe_stop()
   if stopped or stop_after <= 0 or ok + bad < stop_after then
      return
   end
   stopped = true
   wrk.thread:stop()
   local f = io.open(stop_dir .. "/stopped." .. tid, "w")
   f:close()
   local n = 0
   for i = 0, nthreads - 1 do
      local g = io.open(stop_dir .. "/stopped." .. i, "r")
      if g then
         n = n + 1
         g:close()
      end
   end
   if n >= nthreads then
      local st = io.open("/proc/self/stat", "r")
      local pid = st:read("*n")
      st:close()
      -- Not os.execute: system() ignores SIGINT while it waits.  Sent
      -- from the background a little later, when this thread has left
      -- its loop: a signal that lands on a worker thread would set wrk's
      -- stop flag without waking the main thread from its sleep.
      local h = io.popen("(for i in 1 2 3 4 5 6; do sleep 0.3; " ..
                        "kill -INT " .. pid .. " 2>/dev/null || break; " ..
                        "done) >/dev/null 2>&1 &")
      h:close()
   end
end

function done(summary, latency, requests)
   local t_ok, t_bad, t_sigs = 0, 0, 0
   for _, t in ipairs(threads) do
      t_ok = t_ok + t:get("ok")
      t_bad = t_bad + t:get("bad")
      t_sigs = t_sigs + t:get("sigs")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests":%d,"duration_us":%d,"ok":%d,"non200":%d,' ..
      '"signatures":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
      '"timeout":%d,"status":%d},"latency_us":{"p50":%d,"p90":%d,' ..
      '"p99":%d,"mean":%.1f,"max":%d}}\n',
      summary.requests, summary.duration, t_ok, t_bad, t_sigs,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max))
end
