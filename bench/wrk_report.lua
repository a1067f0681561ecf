-- wrk script: count every status that is not 200 and print one JSON report line
-- with the latency quantiles (microseconds) at 1000 evenly spaced ranks, so that
-- several runs can be merged into percentiles. The Cookie header comes from -H.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non200 = 0
end

function response(status, headers, body)
   if status ~= 200 then
      non200 = non200 + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("non200")
   end
   local quantiles = {}
   if summary.requests > 0 then
      for i = 1, 1000 do
         quantiles[i] = string.format("%d", latency:percentile((i - 0.5) / 10))
      end
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"duration_us":%d,"non200":%d,"socket_errors":%d,"max_us":%d,'
         .. '"quantiles_us":[%s]}\n',
      summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
      latency.max, table.concat(quantiles, ",")))
end
