"""Attempt limits, kept by regapi itself: Cognito knows neither the caller's address nor regapi's
tenants, and the embedded Cognito must not be the only line.

Each counter is keyed by the limit's name (a field of the policy's `limits:`), never by its rate text:
the `limits` library puts the rate in its key, so two limits of the same rate would otherwise share one
counter. Every attempt is counted before it is made, atomically, so a burst released at once gets no
further than requests sent one by one: limits on every attempt (per address, per tenant, resends) with
the `limits` library's moving window; limits on failures (wrong codes and passwords) with a slot taken
first (`counters`). Counters live in memory, or in Redis when REGAPI_REDIS_URL is set, so that several
API processes share one limit. Per-user counters are kept for any username, existing or not: the
answer never tells.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Literal, NoReturn, TypeVar

import anyio
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api.observability import audit, metrics
from api.policy.model import AttemptLimits
from api.registration.counters import FailureCounter, MemoryFailures, RedisFailures, Slot
from api.registration.failures import Refused, too_many
from api.registration.memory_windows import MemoryWindows
from api.registration.outcomes import ErrorCode
from api.registration.requests import Caller
from api.registration.tenancy import Target

_T = TypeVar("_T")
log = logging.getLogger("regapi.limits")

# The policy's `limits:` keys, which name the counters.
LimitName = Literal[
    "wrong_codes_per_user",
    "wrong_passwords_per_user",
    "resends_per_user",
    "resets_per_user",
    "attempts_per_address",
    "sign_ups_per_address",
    "sign_ups_per_tenant",
    "invitations_per_tenant",
]
PerUser = Literal["wrong_codes_per_user", "wrong_passwords_per_user"]
Sends = Literal["resends_per_user", "resets_per_user"]


def _refuse(tenant: str, name: LimitName, wait: int) -> NoReturn:
    # A refused attempt's one line, its audit event: which tenant, which limit; never who or from where.
    audit.event(
        "limit_refused",
        logging.WARNING,
        tenant=tenant,
        code=ErrorCode.TOO_MANY_ATTEMPTS.value,
        limit=name,
        retry_after=wait,
    )
    metrics.limit_refused(tenant, name)
    raise Refused(too_many(wait), audited=True)


@functools.lru_cache(maxsize=256)
def _rate(text: str) -> RateLimitItem:
    return parse(text)


class AttemptLimiter:
    def __init__(self, storage_uri: str | None = None) -> None:
        self._failures: FailureCounter
        if storage_uri:
            # redis-py's asyncio client (the `redis` package), rather than limits' default coredis.
            storage = storage_from_string(f"async+{storage_uri}", implementation="redispy")
            self._failures = RedisFailures(storage_uri)
        else:
            storage = MemoryWindows()  # not limits' "async+memory://": its upkeep walks every key
            self._failures = MemoryFailures()
        self._limiter = MovingWindowRateLimiter(storage)

    async def take(self, tenant: str, limits: AttemptLimits, name: LimitName, *key: str) -> None:
        """Count one attempt if allowed (atomically); otherwise refuse with the seconds to wait."""
        item = _rate(getattr(limits, name))
        if not await self._limiter.hit(item, name, *key):
            stats = await self._limiter.get_window_stats(item, name, *key)
            _refuse(tenant, name, max(1, math.ceil(stats.reset_time - time.time())))

    async def count_send(self, target: Target, caller: Caller, per_user: Sends = "resends_per_user") -> None:
        """Every request that sends a code counts, for the address and for the user, existing or not."""
        limits = target.policy.policy.limits
        await self.take(target.tenant, limits, "attempts_per_address", target.tenant, caller.address)
        await self.take(target.tenant, limits, per_user, target.tenant, target.username)

    async def guarded(
        self,
        target: Target,
        caller: Caller,
        per_user: PerUser,
        attempt: Callable[[], Awaitable[_T]],
        failures: Collection[ErrorCode],
    ) -> _T:
        """Run an attempt within the limits: the address's attempt is counted, and the user's slot is
        taken before the attempt is made and kept as a failure if it fails with one of `failures`.
        During a lock even the right answer waits, or guessing would only be slowed down."""
        limits = target.policy.policy.limits
        await self.take(target.tenant, limits, "attempts_per_address", target.tenant, caller.address)
        rate = _rate(getattr(limits, per_user))
        key = "\0".join((per_user, target.tenant, target.username))
        slot = await self._failures.reserve(key, rate.amount, rate.get_expiry())
        if not isinstance(slot, Slot):
            _refuse(target.tenant, per_user, slot)
        failed = False
        try:
            return await attempt()
        except Refused as refused:
            failed = refused.outcome.code in failures
            raise
        finally:
            with anyio.CancelScope(shield=True):  # a cancelled request must not keep the user's slot
                await self._failures.release(slot, failed=failed)
