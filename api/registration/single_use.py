"""Things that may be used once: a challenge session, once its answer went to Cognito.

Cognito binds its session to one answer, but regapi must not depend on that (an emulator or another
Cognito-compatible endpoint may not), so it keeps its own record, for as long as the session could
still be answered. Memory for one process; Redis (SET NX, atomic) when several share the sessions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from api.registration.expiring import Expiring


class SingleUse(Protocol):
    async def claim(self, key: str, seconds: int) -> bool:
        """True for the first claim of `key` within `seconds`; False once it was claimed."""
        ...

    async def release(self, key: str) -> None:
        """Give an unused claim back (the attempt never reached the point of no return)."""
        ...


def _live_until(expires: float, now: float) -> float | None:
    return expires if expires > now else None


class MemorySingleUse:
    """Synchronous steps (no await inside), so atomic on the event loop. Expired claims are dropped a
    few at a time (`Expiring`), never by a walk over all of them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._claimed: Expiring[float] = Expiring(_live_until)
        self._clock = clock

    def __len__(self) -> int:
        """Claims held: live ones, and expired ones not swept yet."""
        return len(self._claimed)

    async def claim(self, key: str, seconds: int) -> bool:
        now = self._clock()
        self._claimed.sweep(now)
        expires = self._claimed.get(key)
        if expires is not None and expires > now:
            return False
        expires = now + seconds
        self._claimed.add(key, expires, until=expires)
        return True

    async def release(self, key: str) -> None:
        self._claimed.pop(key)


class RedisSingleUse:
    def __init__(self, url: str, prefix: str = "regapi:used:") -> None:
        import redis.asyncio  # noqa: PLC0415 - only when Redis is configured

        self._redis = redis.asyncio.Redis.from_url(url)
        self._prefix = prefix

    async def claim(self, key: str, seconds: int) -> bool:
        return bool(await self._redis.set(self._prefix + key, b"1", nx=True, ex=seconds))

    async def release(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)
