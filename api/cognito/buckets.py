"""Token buckets shared fairly between tenants: one per Cognito quota category (api.cognito.quotas says which).

The design, per category of rate R (tokens per second) and capacity C (api.cognito.quotas: one second's
worth, at least one token):

- one global bucket G (rate R, capacity C): every call that is let through takes a token from it, so over
  any window of W seconds at most R*W + C calls reach Cognito, whoever makes them;
- one bucket T_i per active tenant (rate R/n, capacity max(1, C/n), n the number of active tenants): what
  G owes the tenant, its guaranteed share;
- a call takes its token from G and pays for it, in this order, with tokens nobody is owed (G - sum(T_j)),
  with its own share T_i, and with what the other shares hold beyond one token each (lent: taken from
  them in proportion). It is refused when G is empty or these do not add up to one token.

Invariant: sum(T_j) <= G while n <= C. Both refill by R*dt together (the T_j each by R/n); a call takes one
token from G and what it did not find unowed from the T_j; G can stop filling only at its capacity C,
which the T_j's capacities add up to. When n changes the shares are re-cut: a newcomer's bucket starts
with what nobody is owed (at most its capacity), and every bucket is clipped to the new capacity, so the
tokens the others lose become unowed, never debt.

So every share is backed by G, refills at R/n and is never lent below one token: a tenant calling at up
to R/n a second, however hard another floods, finds a token for each call. What active tenants leave
unused (tokens nobody is owed, a share's stock beyond its last token) goes to whoever calls: a lone
burst gets nearly the whole bucket while the others are quiet, and a flood gets what the others do not
use, no more. A tenant that was not active and arrives while every token is spent waits for its share
to accrue (at most n/R seconds for its first token). With more active tenants than the bucket holds
tokens (n > C), each share is one token and sum(T_j) may exceed G: a call then also needs a token in G,
and the guarantee becomes a fair order (each share refills at R/n) rather than a reserve.

Active: a tenant that tried a call (let through or refused) in the last ACTIVE_SECONDS. A refused tenant
still wants its share; a tenant gone quiet for that long gives its share back (its tokens become excess).

Every step is lazy: a take refills G and the active shares for the time since the last take, O(active
tenants). In memory for one process; in Redis (one Lua script per take, Redis's own clock, one hash per
category under `regapi:quota:`, tenant ids as its fields, never a username) for several processes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

log = logging.getLogger("regapi.cognito")

# A tenant counts as active, and keeps its share, this long after its last try.
ACTIVE_SECONDS = 5.0
# Below this many tokens a bucket is empty: floating-point dust must not let a call through.
_EPSILON = 1e-9


class Buckets(Protocol):
    async def take(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        """Take one token of `category` for `tenant`: 0 when taken, else the seconds until its next token is due."""
        ...


@dataclass(slots=True)
class _Share:
    tokens: float
    seen: float


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    shares: dict[str, _Share] = field(default_factory=dict)


def take(bucket: _Bucket, tenant: str, now: float, rate: float, capacity: float) -> float:
    """The algorithm of the module docstring on one category's state; the Lua script below is its copy."""
    elapsed = max(0.0, now - bucket.updated)
    bucket.updated = max(now, bucket.updated)
    bucket.shares = {name: s for name, s in bucket.shares.items() if now - s.seen <= ACTIVE_SECONDS}
    shares = bucket.shares
    if shares:
        per_tenant, cap = rate / len(shares), max(1.0, capacity / len(shares))
        for share in shares.values():
            share.tokens = min(cap, share.tokens + elapsed * per_tenant)
    bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
    mine = shares.get(tenant)
    if mine is None:
        cap = max(1.0, capacity / (len(shares) + 1))
        for share in shares.values():
            share.tokens = min(cap, share.tokens)
        unowed = bucket.tokens - sum(s.tokens for s in shares.values())
        mine = shares[tenant] = _Share(min(cap, max(0.0, unowed)), now)
    mine.seen = now
    unowed = max(0.0, bucket.tokens - sum(s.tokens for s in shares.values()))
    lendable = {name: s.tokens - 1 for name, s in shares.items() if name != tenant and s.tokens > 1}
    spare = sum(lendable.values())
    if bucket.tokens >= 1 - _EPSILON and unowed + mine.tokens + spare >= 1 - _EPSILON:
        need = 1 - min(1.0, unowed)
        own = min(need, mine.tokens)
        mine.tokens -= own
        need -= own
        if need > 0 and spare > 0:  # lent by the others, each in proportion to its stock beyond one token
            for name, extra in lendable.items():
                shares[name].tokens -= need * extra / spare
        bucket.tokens -= 1
        return 0.0
    # When its own share will hold a token again (and G one, where shares outnumber G's tokens).
    own_wait = max(0.0, 1 - mine.tokens) / (rate / len(shares))
    return max(own_wait, max(0.0, 1 - bucket.tokens) / rate, _EPSILON)


class MemoryBuckets:
    """For one process; `clock` is for tests (a manual clock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take_now(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(category)
            if bucket is None:
                bucket = self._buckets[category] = _Bucket(capacity, now)
            return take(bucket, tenant, now, rate, capacity)

    async def take(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        return self.take_now(category, tenant, rate, capacity)


# KEYS[1]: the category's hash (fields g: G's tokens, u: its last update, t:<tenant> and s:<tenant>: a share's
# tokens and when it was last seen). ARGV: rate, capacity, active seconds, tenant, now ('' for Redis's TIME).
# Returns {1, 0} when taken, else {0, milliseconds until the tenant's next token}.
_TAKE = """
local rate, capacity, active, tenant = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local now = tonumber(ARGV[5])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local eps = 1e-9
local g, updated = capacity, now
local tokens, seen, names = {}, {}, {}
local raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do
  local f, v = raw[i], tonumber(raw[i + 1])
  local kind, name = string.sub(f, 1, 2), string.sub(f, 3)
  if f == 'g' then g = v elseif f == 'u' then updated = v
  elseif kind == 't:' then tokens[name] = v elseif kind == 's:' then seen[name] = v end
end
local elapsed = math.max(0, now - updated)
local gone, n = {}, 0
for name, v in pairs(seen) do
  if now - v <= active and tokens[name] ~= nil then n = n + 1; names[n] = name else gone[#gone + 1] = name end
end
if n > 0 then
  local cap = math.max(1, capacity / n)
  for i = 1, n do tokens[names[i]] = math.min(cap, tokens[names[i]] + elapsed * rate / n) end
end
g = math.min(capacity, g + elapsed * rate)
if seen[tenant] == nil or now - seen[tenant] > active or tokens[tenant] == nil then
  local cap = math.max(1, capacity / (n + 1))
  local owed = 0
  for i = 1, n do tokens[names[i]] = math.min(cap, tokens[names[i]]); owed = owed + tokens[names[i]] end
  tokens[tenant] = math.min(cap, math.max(0, g - owed))
  n = n + 1; names[n] = tenant
end
seen[tenant] = now
local owed, spare = 0, 0
for i = 1, n do
  local name = names[i]
  owed = owed + tokens[name]
  if name ~= tenant and tokens[name] > 1 then spare = spare + tokens[name] - 1 end
end
local unowed = math.max(0, g - owed)
local granted, wait = 0, 0
if g >= 1 - eps and unowed + tokens[tenant] + spare >= 1 - eps then
  local need = 1 - math.min(1, unowed)
  local own = math.min(need, tokens[tenant])
  tokens[tenant] = tokens[tenant] - own
  need = need - own
  if need > 0 and spare > 0 then
    for i = 1, n do
      local name = names[i]
      if name ~= tenant and tokens[name] > 1 then tokens[name] = tokens[name] - need * (tokens[name] - 1) / spare end
    end
  end
  g = g - 1
  granted = 1
else
  wait = math.max(math.max(0, 1 - tokens[tenant]) / (rate / n), math.max(0, 1 - g) / rate, eps)
end
for i = 1, #gone do redis.call('HDEL', KEYS[1], 't:' .. gone[i], 's:' .. gone[i]) end
redis.call('HSET', KEYS[1], 'g', tostring(g), 'u', tostring(math.max(now, updated)))
for i = 1, n do
  local name = names[i]
  redis.call('HSET', KEYS[1], 't:' .. name, tostring(tokens[name]), 's:' .. name, tostring(seen[name]))
end
redis.call('EXPIRE', KEYS[1], math.ceil(active + capacity / rate) + 1)
return {granted, math.ceil(wait * 1000)}
"""

_Script = Callable[..., Awaitable[object]]
# While Redis cannot be reached, a line says so at most this often.
_REDIS_WARNING_SECONDS = 10.0


class RedisBuckets:
    """Shared by every process that names the same Redis; the clock is Redis's own, so hosts agree.

    Redis unreachable: this process falls back on buckets of its own (the same rates), so it alone stays
    under the quota and requests keep being served; the processes together may then exceed it."""

    def __init__(self, url: str, *, prefix: str = "regapi:quota:", clock: Callable[[], float] | None = None) -> None:
        import redis.asyncio  # noqa: PLC0415 - only when Redis is configured

        client = redis.asyncio.Redis.from_url(url)
        self._take = cast(_Script, client.register_script(_TAKE))
        self._prefix = prefix
        self._clock = clock  # tests only: Redis's TIME otherwise
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._fallback = MemoryBuckets()
        self._warned = -math.inf

    async def take(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        now = "" if self._clock is None else repr(self._clock())
        args = [repr(rate), repr(capacity), repr(ACTIVE_SECONDS), tenant, now]
        try:
            granted, wait_ms = cast(list[int], await self._take(keys=[self._prefix + category], args=args))
        except self._errors as exc:
            if time.monotonic() - self._warned >= _REDIS_WARNING_SECONDS:
                self._warned = time.monotonic()
                log.warning(
                    "cognito quota buckets: Redis unreachable (%s), this process counts alone", type(exc).__name__
                )
            return self._fallback.take_now(category, tenant, rate, capacity)
        return 0.0 if int(granted) else max(int(wait_ms), 1) / 1000
