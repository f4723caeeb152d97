-- wrk script for bench/run.mjs: `wrk ... -s report.lua URL -- [METHOD BODY_FILE]`.
-- Sends one fixed request (headers come from wrk -H) and prints one JSON line with the counts and
-- latency percentiles, so the harness parses no human-readable output.

function init(args)
  if args[1] then
    wrk.method = args[1]
  end
  if args[2] then
    local f = assert(io.open(args[2], "rb"))
    wrk.body = f:read("*a")
    f:close()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"errors":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect + e.read + e.write + e.timeout, e.status))
end
