"""When a failed delivery is tried again: exponential backoff with jitter, a bounded number of attempts.

The first retry comes within seconds (a receiver restarting, a deploy), the later ones spread over hours
(a receiver down for the night); after the last one the delivery is a dead letter an admin can replay.
Each wait is drawn between a fifth of its step and the whole step ("full jitter" with a floor): receivers
that failed together are not hit again together, and no retry comes right on the heels of its failure.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

# The steps, in seconds, before retry 1, 2, ...: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h.
STEPS = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0)
JITTER_FLOOR = 0.2  # the shortest wait, as a share of its step

_random = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    steps: tuple[float, ...] = STEPS
    jitter_floor: float = JITTER_FLOOR

    @property
    def attempts(self) -> int:
        """Attempts in all: the first and one per step."""
        return len(self.steps) + 1

    def delay(self, attempts_made: int, uniform: Callable[[float, float], float] = _random.uniform) -> float | None:
        """Seconds to wait before the next attempt after `attempts_made` failed ones; None when none is left."""
        if not 1 <= attempts_made <= len(self.steps):
            return None
        step = self.steps[attempts_made - 1]
        return uniform(step * self.jitter_floor, step)

    def bounds(self, attempts_made: int) -> tuple[float, float] | None:
        """The shortest and longest wait `delay` draws from (for operators' docs and tests)."""
        if not 1 <= attempts_made <= len(self.steps):
            return None
        step = self.steps[attempts_made - 1]
        return step * self.jitter_floor, step


RETRY_SCHEDULE = RetrySchedule()
