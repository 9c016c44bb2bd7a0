-- signUp mutations, each for a new user from its own client address (bench/perf.py, the event loop row).
-- BENCH_SIGNUP_BODY is the request body with __ID__ where the user's id goes (the e-mail address's local
-- part); the address goes in X-Forwarded-For, which regapi believes from 127.0.0.1 when it trusts it
-- (REGAPI_TRUSTED_PROXIES). Counts the answers by __typename.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

local template = assert(os.getenv("BENCH_SIGNUP_BODY"), "BENCH_SIGNUP_BODY is not set")
local tag = ""
local count = 0
-- Globals: done() reads them from each thread (thread:get).
succeeded, denied, failed, other = 0, 0, 0, 0

function init(_)
  -- A tag per run, so that no two runs against the same pool sign up the same user.
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  tag = string.format("%06x", math.random(0, 0xffffff))
end

function request()
  count = count + 1
  local id = string.format("b%s-%d", tag, count)
  local body = template:gsub("__ID__", id)
  local address = string.format("10.%d.%d.%d", math.floor(count / 65536) % 256, math.floor(count / 256) % 256, count % 256)
  return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = address }, body)
end

function response(_, _, body)
  local typename = body and body:match('"__typename":%s*"(%w+)"')
  if typename == "SignUpSuccess" then
    succeeded = succeeded + 1
  elseif typename == "PolicyDenied" then
    denied = denied + 1
  elseif typename == "RegistrationError" then
    failed = failed + 1
  else
    other = other + 1
  end
end

setup = report.setup
function done(summary, latency, _)
  report.done(summary, latency, { "succeeded", "denied", "failed", "other" })
end
