-- wrk script for the soak (bench/harness/soak.py): one fixed streaming POST /v1/messages, checked and counted.
-- Configured through the environment (set by soak.py):
--   BENCH_BODY_FILE   file holding the request body
--   BENCH_HEADERS     extra headers, "name: value" separated by "\n"
--   BENCH_OUT         where done() writes its JSON summary
--   BENCH_PROGRESS    where the running counts are written (replaced atomically), for the sampler to read mid-run
--   BENCH_ERRORS      where the first few bad answers are appended (status, then the body's first 600 bytes)
-- Unlike request.lua alone, it has a response() callback: at a few hundred long streams per second its cost is
-- nothing, and it is the only way to see progress and bad answers while wrk runs (wrk reports only at the end).
-- wrk -t1 keeps one Lua state, so the counts are the whole run's.

-- The request (method, path, body, headers) and the JSON summary in done() are request.lua's.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "request.lua")

local progress_path = os.getenv("BENCH_PROGRESS")
local errors_path = os.getenv("BENCH_ERRORS")
local ok, bad_status, incomplete, error_events, bytes = 0, 0, 0, 0, 0
local samples_kept = 0

local function keep_sample(kind, status, body)
  if samples_kept >= 10 or not errors_path then
    return
  end
  samples_kept = samples_kept + 1
  local f = io.open(errors_path, "ab")
  if f then
    f:write(string.format("--- %s, HTTP %d, %d bytes\n%s\n", kind, status, #body, string.sub(body, 1, 600)))
    f:close()
  end
end

local function write_progress()
  if not progress_path then
    return
  end
  local tmp = progress_path .. ".tmp"
  local f = io.open(tmp, "w")
  if f then
    f:write(string.format('{"ok":%d,"bad_status":%d,"incomplete":%d,"error_events":%d,"bytes":%d}\n',
      ok, bad_status, incomplete, error_events, bytes))
    f:close()
    os.rename(tmp, progress_path)
  end
end

function response(status, headers, body)
  bytes = bytes + #body
  if status < 200 or status > 299 then
    bad_status = bad_status + 1
    keep_sample("status", status, body)
  elseif string.find(body, "event: error", 1, true) then
    -- A stream that started (200) and then reported an error event instead of finishing.
    error_events = error_events + 1
    keep_sample("error event", status, body)
  elseif not string.find(body, "event: message_stop", 1, true) then
    incomplete = incomplete + 1
    keep_sample("no message_stop", status, body)
  else
    ok = ok + 1
  end
  -- Every answer: a few hundred small writes per second, and the sampler never reads a stale count.
  write_progress()
end
