-- Scenarios e and f: GET of the URL given to wrk (info, or the static
-- file), counted like every other scenario.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function response(status, headers, body)
   if status == 200 then
      ok = ok + 1
   else
      bench_bad(status, body)
   end
   bench_maybe_stop()
end
