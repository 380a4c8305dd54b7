-- wrk script for bench/cluster-fleet.sh: POST /v1/messages spread over many tenants' keys and deployments, every other
-- request streaming. BENCH_TARGETS: a file of "key<TAB>deployment" lines; BENCH_OUT: where done() writes its JSON.
local targets = {}
local n = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_TARGETS")) do
    local key, model = string.match(line, "^(%S+)\t(%S+)$")
    if key then
      targets[#targets + 1] = { key = key, model = model }
    end
  end
  -- Each thread starts at another place, so threads do not walk the deployments in step.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  n = math.random(#targets)
end

function request()
  n = n + 1
  local t = targets[(n % #targets) + 1]
  local stream = (n % 2 == 0) and "true" or "false"
  local body = string.format('{"model":"%s","max_tokens":16,"stream":%s,"messages":[{"role":"user","content":"Hello"}]}', t.model, stream)
  return wrk.format("POST", "/v1/messages", {
    ["x-api-key"] = t.key, ["content-type"] = "application/json", ["anthropic-version"] = "2023-06-01" }, body)
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  local e = summary.errors
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
  out:close()
end
