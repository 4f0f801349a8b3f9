-- Scenarios a, b and c (and the memory run): signatures/signHash with
-- pre-authorized SADs.  One SAD grants at most the credential's multisign
-- signatures, so run.sh authorizes several (BENCH_SADS) and the requests
-- rotate over them.  The requests are built once, in init().
--   BENCH_TOKEN    access token (auth/login)
--   BENCH_CRED     credentialID
--   BENCH_SADS     comma-separated SADs
--   BENCH_HASHES   comma-separated base64 SHA-256 digests, one per
--                  signature of a request (1 or 32)
--   BENCH_SIGNALGO signAlgo OID
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs = {}
local nhash = 0
local n = 0

function init(args)
   local cred = bench_env("BENCH_CRED")
   local algo = bench_env("BENCH_SIGNALGO")
   local hashes = bench_split(bench_env("BENCH_HASHES"))
   local quoted = {}
   for i, h in ipairs(hashes) do
      quoted[i] = '"' .. h .. '"'
   end
   nhash = #hashes
   local headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. bench_env("BENCH_TOKEN"),
   }
   for i, sad in ipairs(bench_split(bench_env("BENCH_SADS"))) do
      local body = string.format(
         '{"credentialID":"%s","SAD":"%s","hash":[%s],' ..
         '"hashAlgo":"2.16.840.1.101.3.4.2.1","signAlgo":"%s"}',
         cred, sad, table.concat(quoted, ","), algo)
      reqs[i] = wrk.format("POST", wrk.path, headers, body)
   end
end

function request()
   n = n + 1
   return reqs[(n + tid) % #reqs + 1]
end

function response(status, headers, body)
   if status == 200 and string.find(body, '"signatures"', 1, true) then
      ok = ok + 1
      sigs = sigs + nhash
   else
      bench_bad(status, body)
   end
   bench_maybe_stop()
end
