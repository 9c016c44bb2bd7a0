"""The moving windows of the attempt limits, in memory, for `limits`' MovingWindowRateLimiter.

`limits.aio.storage.MemoryStorage` (5.8) starts, after any hit, a task that walks every key it holds
with one thread-pool hop per key, and only that walk trims its lists: with a key per client address
the walk never ends and takes a growing share of the process. This storage keeps the same windows
(a hit is allowed while fewer than `limit` hits of the key are younger than `expiry` seconds, counted
and recorded in one synchronous step, so a burst on the event loop gets exactly `limit`) with upkeep
of its own: each hit trims its own key, and expired keys are dropped a few per hit (`Expiring`).
It overrides only the two methods of `MovingWindowSupport`, the ones MovingWindowRateLimiter calls
(`hit` -> `acquire_entry`; `test` and `get_window_stats` -> `get_moving_window`), so no private
name of the library is relied on; the fixed-window methods it inherits are not used by regapi.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from limits.aio.storage import MemoryStorage

from api.registration.expiring import Expiring


class _Window:
    __slots__ = ("expiry", "hits")

    def __init__(self, expiry: int) -> None:
        self.expiry = expiry  # one per key: the library's key holds the rate
        self.hits: deque[float] = deque()  # times of the hits in the window, oldest first

    def trim(self, now: float) -> deque[float]:
        hits = self.hits
        while hits and hits[0] < now - self.expiry:
            hits.popleft()
        return hits

    def live_until(self, now: float) -> float | None:
        hits = self.trim(now)
        return hits[-1] + self.expiry if hits else None


class MemoryWindows(MemoryStorage):
    # No STORAGE_SCHEME of its own: "async+memory://" keeps naming the library's storage.

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._windows: Expiring[_Window] = Expiring(_Window.live_until)

    def __len__(self) -> int:
        """Keys held: those with a hit in their window, and expired ones not swept yet."""
        return len(self._windows)

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        self._windows.sweep(now)
        window = self._windows.get(key)
        if window is None:
            window = _Window(expiry)
            self._windows.add(key, window, now + expiry)
        hits = window.trim(now)
        if len(hits) + amount > limit:
            return False
        hits.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest hit in the window and the number of hits in it."""
        now = self._clock()
        window = self._windows.get(key)
        hits = window.trim(now) if window else None
        return (hits[0], len(hits)) if hits else (now, 0)

    async def clear(self, key: str) -> None:
        self._windows.pop(key)
        await super().clear(key)

    async def reset(self) -> int | None:
        held = len(self._windows)
        self._windows.clear()
        return max(held, await super().reset() or 0)
