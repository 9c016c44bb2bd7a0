-- GET the URL wrk is given (bench/perf.py, the /healthz probe).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
function done(summary, latency, _)
  report.done(summary, latency)
end
