-- wrk script for bench/run: prints one JSON line with exact counts and latency percentiles (microseconds)
-- after the run. It defines done() only, so wrk keeps its fast path (no per-response Lua).
-- WRK_CLOSE=1 in the environment sends "Connection: close" (a new connection per request).
if os.getenv("WRK_CLOSE") == "1" then
    wrk.headers["Connection"] = "close"
end

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
        '"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,"non2xx":%d,' ..
        '"lat_p50_us":%d,"lat_p90_us":%d,"lat_p99_us":%d,"lat_max_us":%d,"lat_mean_us":%.1f}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.timeout, e.status,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
