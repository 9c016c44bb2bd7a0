"""Attempt limits, kept by regapi itself: Cognito knows neither the caller's address nor regapi's
tenants, and the embedded Cognito must not be the only line.

Counters live in memory, or in Redis when REGAPI_REDIS_URL is set, so that several API processes share
one limit. Per-user counters are kept for any username, existing or not: the answer never tells.
"""

from __future__ import annotations

import functools
import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


@functools.lru_cache(maxsize=256)
def _rate(text: str) -> RateLimitItem:
    return parse(text)


class AttemptLimiter:
    def __init__(self, storage_uri: str | None = None) -> None:
        if storage_uri:
            # redis-py's asyncio client (the `redis` package), rather than limits' default coredis.
            storage = storage_from_string(f"async+{storage_uri}", implementation="redispy")
        else:
            storage = storage_from_string("async+memory://")
        self._limiter = MovingWindowRateLimiter(storage)

    async def wait(self, rate: str, *key: str) -> int | None:
        """Seconds until one more attempt is allowed, or None if one is allowed now. Counts nothing."""
        item = _rate(rate)
        if await self._limiter.test(item, *key):
            return None
        stats = await self._limiter.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def count(self, rate: str, *key: str) -> None:
        await self._limiter.hit(_rate(rate), *key)

    async def take(self, rate: str, *key: str) -> int | None:
        """Count one attempt if allowed; otherwise the seconds to wait (and nothing is counted)."""
        if await self._limiter.hit(_rate(rate), *key):
            return None
        return await self.wait(rate, *key)
