"""Failure counters that hold under bursts: an attempt takes a slot before it is made.

A per-user limit ("10 wrong passwords per 15 minutes") counts failures, not attempts: a user who signs
in correctly ten times is not locked. Checking the count and recording a failure afterwards lets a burst
through (forty wrong passwords released together all pass the check before any is counted). So each
attempt first reserves a slot, atomically, while failures plus attempts in flight stay under the limit;
when it ends, the slot is released, and kept as a failure if it failed. However requests interleave, at
most `limit` attempts are ever evaluated beyond the last success.

The `limits` library (which keeps the other limits) has no reservation or refund, hence this module.
Memory for one process; Redis (one Lua script per step, so atomic across processes) for several.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from api.registration.expiring import Expiring

# A slot whose attempt never reported back (a crashed process) is freed after this long; attempts are
# bounded by the Cognito deadline, far below it.
SLOT_SECONDS = 120
# What a caller is told to wait while only attempts in flight (not failures) fill the limit.
IN_FLIGHT_WAIT = 1


@dataclass(frozen=True, slots=True)
class Slot:
    key: str
    token: str
    window: int


class FailureCounter(Protocol):
    async def reserve(self, key: str, limit: int, window: int) -> Slot | int:
        """A slot for one attempt, or the seconds to wait when failures and attempts in flight fill the limit."""
        ...

    async def release(self, slot: Slot, *, failed: bool) -> None:
        """The attempt ended: its slot is freed, and kept as a failure if it failed."""
        ...


def _wait(failures: list[float], limit: int, window: int, now: float) -> int:
    """Seconds until the failures alone leave room for one more attempt (they expire oldest first)."""
    if len(failures) < limit:
        return IN_FLIGHT_WAIT
    oldest_to_expire = sorted(failures)[len(failures) - limit]
    return max(1, math.ceil(oldest_to_expire + window - now))


@dataclass
class _Entry:
    window: int
    failures: list[float] = field(default_factory=list)
    in_flight: dict[str, float] = field(default_factory=dict)
    scheduled: bool = False  # whether it has a deadline in `Expiring`

    def expire(self, now: float) -> None:
        """Forget what has expired."""
        self.failures = [t for t in self.failures if t > now - self.window]
        self.in_flight = {k: t for k, t in self.in_flight.items() if t > now - SLOT_SECONDS}

    def live_until(self, now: float) -> float | None:
        self.expire(now)
        ends = [t + self.window for t in self.failures] + [t + SLOT_SECONDS for t in self.in_flight.values()]
        return max(ends, default=None)


class MemoryFailures:
    """For one process. Every step is synchronous (no await inside), so it is atomic on the event loop.

    An entry holding only attempts in flight goes when the last of them is released (unknown usernames
    leave nothing behind, and cost no deadline); one that keeps failures gets a deadline, and is
    dropped a few at a time once they expired (`Expiring`), never by a walk over every username."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._entries: Expiring[_Entry] = Expiring(_Entry.live_until)
        self._clock = clock

    def __len__(self) -> int:
        """Usernames held: with failures or attempts in flight, or expired and not swept yet."""
        return len(self._entries)

    def _entry(self, key: str, window: int, now: float) -> _Entry:
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(window)
            self._entries.add(key, entry)
        entry.window = window  # the policy may have changed it
        entry.expire(now)
        return entry

    async def reserve(self, key: str, limit: int, window: int) -> Slot | int:
        now = self._clock()
        self._entries.sweep(now)
        entry = self._entry(key, window, now)
        if len(entry.failures) + len(entry.in_flight) >= limit:
            return _wait(entry.failures, limit, window, now)
        token = secrets.token_hex(8)
        entry.in_flight[token] = now
        return Slot(key, token, window)

    async def release(self, slot: Slot, *, failed: bool) -> None:
        now = self._clock()
        entry = self._entry(slot.key, slot.window, now)
        if entry.in_flight.pop(slot.token, None) is not None and failed:
            entry.failures.append(now)
        if not entry.failures and not entry.in_flight:
            self._entries.pop(slot.key)
        elif entry.failures and not entry.scheduled:
            entry.scheduled = True  # once: when the deadline comes, the sweep sets the next one
            self._entries.schedule(slot.key, now + entry.window)


# KEYS[1] failures (sorted set of failure times), KEYS[2] attempts in flight (sorted set of start times).
# ARGV: limit, window seconds, slot seconds, token. Returns 0 for a slot, else the seconds to wait.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window, slot = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - slot)
local failures = redis.call('ZCARD', KEYS[1])
if failures + redis.call('ZCARD', KEYS[2]) >= limit then
  if failures < limit then return -1 end
  local oldest = redis.call('ZRANGE', KEYS[1], failures - limit, failures - limit, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(oldest[2]) + window - now))
end
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('EXPIRE', KEYS[2], slot)
return 0
"""
# KEYS as above; ARGV: token, failed (1 or 0), window seconds.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 and ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return 0
"""

_Script = Callable[..., Awaitable[object]]


class RedisFailures:
    """Shared by every process that names the same Redis; the clock is Redis's own, so hosts agree."""

    def __init__(self, url: str, prefix: str = "regapi:failures:") -> None:
        import redis.asyncio  # noqa: PLC0415 - only when Redis is configured

        client = redis.asyncio.Redis.from_url(url)
        self._reserve = cast(_Script, client.register_script(_RESERVE))
        self._release = cast(_Script, client.register_script(_RELEASE))
        self._prefix = prefix

    def _keys(self, key: str) -> list[str]:
        # One hash tag for both keys, so Redis Cluster keeps them in one slot (the script needs both); a
        # digest, since usernames may hold braces themselves.
        tag = hashlib.sha256(key.encode()).hexdigest()[:32]
        return [f"{self._prefix}{{{tag}}}:failed", f"{self._prefix}{{{tag}}}:flight"]

    async def reserve(self, key: str, limit: int, window: int) -> Slot | int:
        token = secrets.token_hex(8)
        wait = int(cast(int, await self._reserve(keys=self._keys(key), args=[limit, window, SLOT_SECONDS, token])))
        if wait == 0:
            return Slot(key, token, window)
        return IN_FLIGHT_WAIT if wait < 0 else wait

    async def release(self, slot: Slot, *, failed: bool) -> None:
        await self._release(keys=self._keys(slot.key), args=[slot.token, "1" if failed else "0", slot.window])
