-- wrk script: replays prepared requests (method, Host, cookie, path, body) round-robin.
-- Usage: wrk ... -s bench/load.lua URL -- /path/to/requests.bin
-- Records are separated by "\0", fields by "\1": method, host, cookie (or Bearer key), path, content-type, body.
local reqs = {}
local i = 0

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for rec in string.gmatch(data, "([^%z]+)") do
    local parts = {}
    local start = 1
    for _ = 1, 5 do
      local stop = string.find(rec, "\1", start, true)
      table.insert(parts, string.sub(rec, start, stop - 1))
      start = stop + 1
    end
    local headers = {Host = parts[2]}
    -- The third field is the Cookie header, or an API key's whole "Bearer sila_…" credential.
    if string.sub(parts[3], 1, 7) == "Bearer " then headers["Authorization"] = parts[3]
    elseif parts[3] ~= "" then headers["Cookie"] = parts[3] end
    if parts[5] ~= "" then headers["Content-Type"] = parts[5] end
    local body = string.sub(rec, start)
    if body == "" then body = nil end
    table.insert(reqs, wrk.format(parts[1], parts[4], headers, body))
  end
  -- Threads start at different offsets so they do not send the same record together.
  i = math.random(#reqs) - 1
end

function request()
  i = (i % #reqs) + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"bad_status": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
