-- What bench/perf.py reads from a wrk run: one line, "BENCH-REPORT {json}", printed by done(). The scripts
-- load this module with dofile (a script wrk runs itself must return nothing: a value it returns stays on
-- wrk's Lua stack and breaks done()). Counters are globals of each wrk thread's state; done() sums them
-- over the threads by name.
local report = {}
local threads = {}

function report.setup(thread)
  table.insert(threads, thread)
end

function report.done(summary, latency, counters)
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"p50_us":%d', latency:percentile(50)),
    string.format('"p99_us":%d', latency:percentile(99)),
    string.format('"max_us":%d', latency.max),
  }
  for _, name in ipairs({ "connect", "read", "write", "status", "timeout" }) do
    table.insert(fields, string.format('"%s":%d', name, summary.errors[name]))
  end
  for _, name in ipairs(counters or {}) do
    local total = 0
    for _, thread in ipairs(threads) do
      total = total + (thread:get(name) or 0)
    end
    table.insert(fields, string.format('"%s":%d', name, total))
  end
  io.write("BENCH-REPORT {" .. table.concat(fields, ",") .. "}\n")
end

return report
