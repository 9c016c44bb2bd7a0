"""What the embedded Cognito must remember that moto does not: codes, when a temporary password was
issued, which user a challenge session belongs to. One PoolRules per user pool, with the clock and
outbox of whoever owns the pool."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from api.clock import Clock, SystemClock
from api.cognito.embedded.outbox import Outbox


@dataclass(slots=True)
class IssuedCode:
    code: str = field(repr=False)
    issued_at: datetime
    failures: int = 0
    locked_until: datetime | None = None


@dataclass(slots=True)
class IssuedSession:
    username: str
    issued_at: datetime


class PoolRules:
    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self.clock = clock
        self.outbox = outbox
        self.codes: dict[str, IssuedCode] = {}
        self.temporary_passwords: dict[str, datetime] = {}
        self.sessions: dict[str, IssuedSession] = {}
        self.lock = threading.Lock()


class Registry:
    """Pool id -> rules. A pool nobody attached (one a client created with boto3) gets the defaults."""

    def __init__(self) -> None:
        self._rules: dict[str, PoolRules] = {}
        self._lock = threading.Lock()
        self._default: tuple[Clock, Outbox] = (SystemClock(), Outbox())

    def set_default(self, clock: Clock, outbox: Outbox) -> None:
        """The clock and outbox of pools created from outside, as in `regapi cognito serve`."""
        with self._lock:
            self._default = (clock, outbox)

    def attach(self, pool_id: str, clock: Clock, outbox: Outbox) -> None:
        with self._lock:
            self._rules[pool_id] = PoolRules(clock, outbox)

    def rules(self, pool_id: str) -> PoolRules:
        with self._lock:
            if pool_id not in self._rules:
                self._rules[pool_id] = PoolRules(*self._default)
            return self._rules[pool_id]


REGISTRY = Registry()
