"""Entries kept in memory until they expire, dropped a few at a time, whatever the number of keys.

Walking every key to find the expired ones costs in proportion to the keys, and sign-ups from many
client addresses make tens of thousands of them. Here each entry has a deadline in a heap, the time
by which it may have expired; a sweep looks only at the entries whose deadline has passed, and at most
`step` of them, so one sweep holds the event loop for about 0.1 ms (0.5 ms at most, with 200,000 keys
expiring at once, on the 2-core CI machine) and each entry is looked at about once per lifetime. An
entry still live when its deadline comes (it was used since) gets the next one. Every step is
synchronous, so the stores that use this stay atomic on the event loop.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Generic, TypeVar

_E = TypeVar("_E")

# Entries looked at, at most, per sweep: each store sweeps once per call that may add a key, so the
# sweep keeps up with any rate of new keys while one call never does more than this.
SWEEP_STEP = 64


class Expiring(Generic[_E]):
    def __init__(self, live_until: Callable[[_E, float], float | None], step: int = SWEEP_STEP) -> None:
        """`live_until(entry, now)` forgets what expired in the entry and tells when what is left expires
        (no earlier than `now`), or None when nothing is left."""
        self._entries: dict[str, _E] = {}
        # (deadline, order, key, entry): the order settles equal deadlines, so entries are never compared.
        self._deadlines: list[tuple[float, int, str, _E]] = []
        self._order = itertools.count()
        self._live_until = live_until
        self._step = step

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> _E | None:
        return self._entries.get(key)

    def add(self, key: str, entry: _E, until: float | None = None) -> None:
        """Keep `entry` under `key` (replacing any); the sweep looks at it once `until` has passed, and
        never without one (see `schedule`)."""
        self._entries[key] = entry
        if until is not None:
            self.schedule(key, until)

    def schedule(self, key: str, until: float) -> None:
        """Give the entry held under `key` a deadline: an entry needs one, and one is enough, since the
        sweep sets the next."""
        heapq.heappush(self._deadlines, (until, next(self._order), key, self._entries[key]))

    def pop(self, key: str) -> None:
        # Its deadline stays in the heap until it comes, and is then passed over.
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
        self._deadlines.clear()

    def sweep(self, now: float) -> int:
        """Look at up to `step` entries whose deadline has passed: drop those with nothing left, give the
        others their next deadline. Returns how many deadlines were looked at."""
        deadlines = self._deadlines
        seen = 0
        while seen < self._step and deadlines and deadlines[0][0] < now:
            _, _, key, entry = heapq.heappop(deadlines)
            seen += 1
            if self._entries.get(key) is not entry:
                continue  # popped or replaced since; a replacement has a deadline of its own
            until = self._live_until(entry, now)
            if until is None:
                del self._entries[key]
            else:
                heapq.heappush(deadlines, (until, next(self._order), key, entry))
        return seen
