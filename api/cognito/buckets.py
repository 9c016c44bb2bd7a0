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

import contextvars
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

log = logging.getLogger("regapi.cognito")

# A tenant counts as active, and keeps its share, this long after its last try.
ACTIVE_SECONDS = 5.0
# Below this many tokens a bucket is empty: floating-point dust must not let a call through.
_EPSILON = 1e-9


class Buckets(Protocol):
    async def take(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        """Take one token of `category` for `tenant`: 0 when taken, else the seconds until its next token is due."""
        ...

    def take_now(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        """`take` outside the event loop: blocking, for start-up and reload."""
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
    """For one process; `clock` is for tests (a manual clock). With `share` N, each bucket gets 1/N of the
    rate and capacity it is given: one of the N worker processes of a host that count alone."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, share: int = 1) -> None:
        self._clock = clock
        self._share = share
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take_now(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        if self._share > 1:
            rate, capacity = rate / self._share, max(1.0, capacity / self._share)
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
_SyncScript = Callable[..., object]
# Redis answers a take within this long, or this process falls back on buckets of its own: a take comes
# before every Cognito attempt, within its deadline, so a Redis that hangs must cost a fraction of a
# second, not the client's default 5 s (nor its retries).
REDIS_TIMEOUT_SECONDS = 0.3
# After Redis failed, takes stay on the fallback this long before one tries Redis again (a breaker), so a
# Redis that is down costs one timeout every few seconds, not one per call.
BREAKER_SECONDS = 5.0


def aside(write: Callable[..., None], *args: object) -> None:
    """`write(*args)` (a log call) outside the request being served: a line about the process or about many
    requests (a breaker opening, a quota's summary) is no one request's line, so it carries no request id
    and does not count among the lines the request that happened to cause it writes."""
    contextvars.Context().run(write, *args)


class RedisBuckets:
    """Shared by every process that names the same Redis; the clock is Redis's own, so hosts agree.

    Redis unreachable (or slower than REDIS_TIMEOUT_SECONDS): this process falls back on buckets of its own
    for BREAKER_SECONDS, then tries Redis again. The fallback's rate is each quota divided by `workers`, the
    worker processes of this host, so the host's processes together stay under it; several hosts on their
    fallbacks at once may still exceed it together."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "regapi:quota:",
        clock: Callable[[], float] | None = None,
        workers: int = 1,
        timeout: float = REDIS_TIMEOUT_SECONDS,
        breaker: float = BREAKER_SECONDS,
    ) -> None:
        import redis  # noqa: PLC0415 - only when Redis is configured
        import redis.asyncio  # noqa: PLC0415
        from redis.asyncio.retry import Retry as AsyncRetry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.retry import Retry  # noqa: PLC0415

        # No retries: a failed take falls back at once (redis-py retries timeouts three times by default).
        options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        client = redis.asyncio.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 0), **options)
        self._take = cast(_Script, client.register_script(_TAKE))
        # For the takes made outside the event loop (the start-up check of each pool): a client of their own.
        blocking = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)
        self._take_blocking = cast(_SyncScript, blocking.register_script(_TAKE))
        self._prefix = prefix
        self._clock = clock  # tests only: Redis's TIME otherwise
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._fallback = MemoryBuckets(share=workers)
        self._workers = workers
        self._breaker = breaker
        self._lock = threading.Lock()
        self._open_until = -math.inf  # Redis is not tried before this (time.monotonic)
        self._down = False  # since the last failure, no take has reached Redis

    async def take(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        if not self._try_redis():
            return self._fallback.take_now(category, tenant, rate, capacity)
        try:
            answer = await self._take(keys=[self._prefix + category], args=self._args(tenant, rate, capacity))
        except self._errors as exc:
            self._failed(exc)
            return self._fallback.take_now(category, tenant, rate, capacity)
        return self._answered(answer)

    def take_now(self, category: str, tenant: str, rate: float, capacity: float) -> float:
        """`take` for a caller outside the event loop (it blocks for Redis's answer)."""
        if not self._try_redis():
            return self._fallback.take_now(category, tenant, rate, capacity)
        try:
            answer = self._take_blocking(keys=[self._prefix + category], args=self._args(tenant, rate, capacity))
        except self._errors as exc:
            self._failed(exc)
            return self._fallback.take_now(category, tenant, rate, capacity)
        return self._answered(answer)

    def _args(self, tenant: str, rate: float, capacity: float) -> list[str]:
        now = "" if self._clock is None else repr(self._clock())
        return [repr(rate), repr(capacity), repr(ACTIVE_SECONDS), tenant, now]

    def _try_redis(self) -> bool:
        """Whether this take asks Redis: not while the breaker is open; once it is due again, one take at a
        time, the others staying on the fallback until that one has its answer."""
        with self._lock:
            now = time.monotonic()
            if now < self._open_until:
                return False
            if self._down:
                self._open_until = now + self._breaker
            return True

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self._breaker
            warn, self._down = not self._down, True
        if warn:  # once when the breaker opens, not again while Redis stays out of reach
            part = f"1/{self._workers} of each quota" if self._workers > 1 else "each quota"
            aside(
                log.warning,
                "cognito quota buckets: Redis unreachable (%s), this process counts alone (%s) and tries Redis "
                "again every %g s",
                type(exc).__name__,
                part,
                self._breaker,
            )

    def _answered(self, answer: object) -> float:
        with self._lock:
            back, self._down, self._open_until = self._down, False, -math.inf
        if back:
            aside(log.info, "cognito quota buckets: Redis reachable again, the processes share the buckets again")
        granted, wait_ms = cast(list[int], answer)
        return 0.0 if int(granted) else max(int(wait_ms), 1) / 1000
