-- SPDX-License-Identifier: Apache-2.0
-- Scenarios e and f: GET of the URL given to wrk (info, or the static
-- file).  Measured runs let wrk count status codes (no Lua per request,
-- see signhash.lua); the warm-up (BENCH_CHECK=1) looks at every body.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

per_request = 0

if bench_checking then
   local want = os.getenv("BENCH_EXPECT")

   function response(status, headers, body)
      if status ~= 200 then
         bench_bad(status, body)
      elseif want and not string.find(body, want, 1, true) then
         bench_malformed(body)
      else
         ok = ok + 1
      end
      bench_maybe_stop()
   end
end
