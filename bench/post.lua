-- POST the body in the file BENCH_BODY_FILE names, as JSON, on every request (bench/perf.py, registrationForm).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local file = assert(io.open(assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE is not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

setup = report.setup
function done(summary, latency, _)
  report.done(summary, latency)
end
