-- SPDX-License-Identifier: Apache-2.0
-- Scenarios a, b and c (and the memory run): signatures/signHash with
-- pre-authorized SADs (BENCH_SADS; one SAD grants at most the credential's
-- multisign signatures).
--   BENCH_TOKEN    access token (auth/login)
--   BENCH_CRED     credentialID
--   BENCH_SADS     comma-separated SADs, at least one per wrk thread
--   BENCH_HASHES   comma-separated base64 SHA-256 digests, one per
--                  signature of a request (1 or 32)
--   BENCH_SIGNALGO signAlgo OID
--
-- Measured runs: each thread sends one fixed request built in init(), with
-- its own SAD, and wrk counts the status codes itself.  wrk shares the two
-- cores with httpd, so a Lua call per request (request() or response())
-- would be CPU taken from the server being measured.  Only when one SAD's
-- budget (BENCH_SAD_BUDGET signatures) cannot last the run are there more
-- SADs than threads: then request() hands each thread's requests out from
-- its SADs in turn, a budget's worth each (a table lookup per request).
-- The warm-up and the
-- memory run (BENCH_CHECK=1, BENCH_STOP_AFTER) look at every response body
-- and rotate over all the SADs.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs = {}
local n = 0
-- measured runs with more SADs than threads (see above)
local rotating = not bench_checking
   and #bench_split(os.getenv("BENCH_SADS") or "") > nthreads
local mine = {}          -- this thread's requests, one per SAD
local per_sad            -- requests one SAD pays for
local cur = 1

function init(args)
   local cred = bench_env("BENCH_CRED")
   local algo = bench_env("BENCH_SIGNALGO")
   local hashes = bench_split(bench_env("BENCH_HASHES"))
   local sads = bench_split(bench_env("BENCH_SADS"))
   local quoted = {}
   for i, h in ipairs(hashes) do
      quoted[i] = '"' .. h .. '"'
   end
   per_request = #hashes
   local headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. bench_env("BENCH_TOKEN"),
   }
   local function body(sad)
      return string.format(
         '{"credentialID":"%s","SAD":"%s","hash":[%s],' ..
         '"hashAlgo":"2.16.840.1.101.3.4.2.1","signAlgo":"%s"}',
         cred, sad, table.concat(quoted, ","), algo)
   end
   if bench_checking then
      for i, sad in ipairs(sads) do
         reqs[i] = wrk.format("POST", wrk.path, headers, body(sad))
      end
   else
      if #sads < nthreads then
         error("BENCH_SADS: one SAD per thread needed, got " .. #sads)
      end
      if rotating then
         for i = tid + 1, #sads, nthreads do
            mine[#mine + 1] = wrk.format("POST", wrk.path, headers,
                                         body(sads[i]))
         end
         per_sad = math.floor(tonumber(bench_env("BENCH_SAD_BUDGET"))
                              / per_request)
         return
      end
      -- wrk.init() formats the request after this, from these fields;
      -- its headers table already holds the Host header
      wrk.method = "POST"
      for k, v in pairs(headers) do
         wrk.headers[k] = v
      end
      wrk.body = body(sads[tid + 1])
   end
end

if bench_checking then
   function request()
      n = n + 1
      return reqs[(n + tid) % #reqs + 1]
   end

   function response(status, headers, body)
      if status ~= 200 then
         bench_bad(status, body)
      elseif bench_count(body, '"[A-Za-z0-9+/=_-]+"') ~= per_request + 1
             or not string.find(body, '"signatures"', 1, true) then
         bench_malformed(body)
      else
         ok = ok + 1
         sigs = sigs + per_request
      end
      bench_maybe_stop()
   end
end

if rotating then
   function request()
      n = n + 1
      if n > per_sad then
         n = 1
         cur = cur + 1
      end
      -- past the last SAD's budget: 400s, which the harness reports
      return mine[cur] or mine[#mine]
   end
end
