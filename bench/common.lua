-- SPDX-License-Identifier: Apache-2.0
-- Shared by every scenario script (loaded with dofile).  The done() hook
-- prints one machine-readable line,
--   BENCH-RESULT {json}
-- which bench/run.sh collects.  Two ways of counting:
-- - measured runs: no Lua per request; wrk itself counts the responses
--   with a status >= 400 (summary.errors.status), each other response is
--   a success carrying per_request signatures;
-- - checking (bench_checking: BENCH_CHECK=1 for the warm-up, the memory
--   run, and flow.lua always): a response() hook per thread counts 200s,
--   other statuses, and 200s whose body is not what was asked for
--   (malformed); the first few bad ones are shown on stderr.
-- A non-200 or malformed response is a harness failure.

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

ok, bad, sigs, malformed = 0, 0, 0, 0
per_request = 0
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

function bench_malformed(body)
   malformed = malformed + 1
   if shown < 3 then
      shown = shown + 1
      io.stderr:write(string.format("wrk: unexpected 200 body: %s\n",
                                    string.sub(body or "", 1, 300)))
   end
end

function bench_count(s, pattern)
   local c = 0
   for _ in string.gmatch(s, pattern) do
      c = c + 1
   end
   return c
end

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "0") or 0
local stop_dir = os.getenv("BENCH_STOP_DIR")
nthreads = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local stopped = false
bench_checking = os.getenv("BENCH_CHECK") == "1" or stop_after > 0

-- For the memory run: a fixed number of requests per thread.  A thread
-- that has its count stops; wrk itself would still sleep out -d, so the
-- last thread to finish (each leaves a marker file in BENCH_STOP_DIR)
-- has wrk sent the SIGINT that makes it report and exit at once.
function bench_maybe_stop()
   if stopped or stop_after <= 0 or ok + bad + malformed < stop_after then
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
   local t_ok, t_bad, t_sigs, t_malformed = 0, 0, 0, 0
   local e = summary.errors
   if bench_checking then
      for _, t in ipairs(threads) do
         t_ok = t_ok + t:get("ok")
         t_bad = t_bad + t:get("bad")
         t_sigs = t_sigs + t:get("sigs")
         t_malformed = t_malformed + t:get("malformed")
      end
   else
      t_bad = e.status
      t_ok = summary.requests - e.status
      t_sigs = t_ok * (threads[1]:get("per_request") or 0)
   end
   io.write(string.format(
      'BENCH-RESULT {"requests":%d,"duration_us":%d,"ok":%d,"non200":%d,' ..
      '"malformed":%d,"checked":%s,' ..
      '"signatures":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
      '"timeout":%d,"status":%d},"latency_us":{"p50":%d,"p90":%d,' ..
      '"p99":%d,"mean":%.1f,"max":%d}}\n',
      summary.requests, summary.duration, t_ok, t_bad, t_malformed,
      tostring(bench_checking), t_sigs,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max))
end
