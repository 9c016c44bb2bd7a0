"""Things that may be used once: a challenge session, once its answer went to Cognito.

Cognito binds its session to one answer, but regapi must not depend on that (an emulator or another
Cognito-compatible endpoint may not), so it keeps its own record, for as long as the session could
still be answered. Memory for one process; Redis (SET NX, atomic) when several share the sessions.
"""

from __future__ import annotations

import time
from typing import Protocol


class SingleUse(Protocol):
    async def claim(self, key: str, seconds: int) -> bool:
        """True for the first claim of `key` within `seconds`; False once it was claimed."""
        ...

    async def release(self, key: str) -> None:
        """Give an unused claim back (the attempt never reached the point of no return)."""
        ...


class MemorySingleUse:
    """Synchronous steps (no await inside), so atomic on the event loop."""

    def __init__(self) -> None:
        self._claimed: dict[str, float] = {}

    async def claim(self, key: str, seconds: int) -> bool:
        now = time.monotonic()
        if len(self._claimed) > 10_000:  # forget the expired ones now and then
            self._claimed = {k: t for k, t in self._claimed.items() if t > now}
        if self._claimed.get(key, 0.0) > now:
            return False
        self._claimed[key] = now + seconds
        return True

    async def release(self, key: str) -> None:
        self._claimed.pop(key, None)


class RedisSingleUse:
    def __init__(self, url: str, prefix: str = "regapi:used:") -> None:
        import redis.asyncio  # noqa: PLC0415 - only when Redis is configured

        self._redis = redis.asyncio.Redis.from_url(url)
        self._prefix = prefix

    async def claim(self, key: str, seconds: int) -> bool:
        return bool(await self._redis.set(self._prefix + key, b"1", nx=True, ex=seconds))

    async def release(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)
