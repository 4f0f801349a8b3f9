-- SPDX-License-Identifier: Apache-2.0
-- Scenario d: the full per-signature flow.  Every signature takes a
-- credentials/authorize with the PIN (numSignatures 1) and then a
-- signatures/signHash with the SAD it returned.  The SADs a thread
-- receives go into a queue; whenever one is waiting, the next request of
-- that thread (on whichever connection) spends it, otherwise it asks for a
-- new one.  So authorize and signHash requests alternate, one to one.
--   BENCH_TOKEN, BENCH_CRED, BENCH_HASHES (one), BENCH_SIGNALGO as in
--   signhash.lua; BENCH_PIN the credential's PIN; BENCH_BASE e.g. /csc/v1
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
-- the SADs come out of the responses, so every response is looked at
bench_checking = true

local queue = {}
local authorize_req, sign_path, sign_fmt, headers
auths = 0

function init(args)
   local base = bench_env("BENCH_BASE")
   local cred = bench_env("BENCH_CRED")
   headers = {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. bench_env("BENCH_TOKEN"),
   }
   authorize_req = wrk.format("POST", base .. "/credentials/authorize",
      headers, string.format(
         '{"credentialID":"%s","numSignatures":1,"PIN":"%s"}',
         cred, bench_env("BENCH_PIN")))
   sign_path = base .. "/signatures/signHash"
   sign_fmt = '{"credentialID":"' .. cred .. '","SAD":"%s","hash":["' ..
      bench_split(bench_env("BENCH_HASHES"))[1] ..
      '"],"hashAlgo":"2.16.840.1.101.3.4.2.1","signAlgo":"' ..
      bench_env("BENCH_SIGNALGO") .. '"}'
end

function request()
   local sad = table.remove(queue)
   if sad then
      return wrk.format("POST", sign_path, headers,
                        string.format(sign_fmt, sad))
   end
   return authorize_req
end

function response(status, headers, body)
   if status ~= 200 then
      bench_bad(status, body)
      return
   end
   local sad = string.match(body, '"SAD"%s*:%s*"([^"]+)"')
   if sad then
      ok = ok + 1
      auths = auths + 1
      queue[#queue + 1] = sad
   elseif string.find(body, '"signatures"', 1, true) then
      ok = ok + 1
      sigs = sigs + 1
   else
      bench_malformed(body)
   end
end
