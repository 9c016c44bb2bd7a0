"""Attempt limits, kept by regapi itself: Cognito knows neither the caller's address nor regapi's
tenants, and the embedded Cognito must not be the only line.

Each counter is keyed by the limit's name (a field of the policy's `limits:`), never by its rate text:
the `limits` library puts the rate in its key, so two limits of the same rate would otherwise share one
counter. Counters live in memory, or in Redis when REGAPI_REDIS_URL is set, so that several API
processes share one limit. Per-user counters are kept for any username, existing or not: the answer
never tells.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Literal, TypeVar

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api.policy.model import AttemptLimits
from api.registration.failures import Refused, too_many
from api.registration.outcomes import ErrorCode
from api.registration.requests import Caller
from api.registration.tenancy import Target

_T = TypeVar("_T")

# The policy's `limits:` keys, which name the counters.
LimitName = Literal[
    "wrong_codes_per_user",
    "wrong_passwords_per_user",
    "resends_per_user",
    "attempts_per_address",
    "sign_ups_per_address",
    "sign_ups_per_tenant",
    "invitations_per_tenant",
]
PerUser = Literal["wrong_codes_per_user", "wrong_passwords_per_user", "resends_per_user"]


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

    async def wait(self, limits: AttemptLimits, name: LimitName, *key: str) -> int | None:
        """Seconds until one more attempt is allowed, or None if one is allowed now. Counts nothing."""
        item = _rate(getattr(limits, name))
        if await self._limiter.test(item, name, *key):
            return None
        stats = await self._limiter.get_window_stats(item, name, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def count(self, limits: AttemptLimits, name: LimitName, *key: str) -> None:
        await self._limiter.hit(_rate(getattr(limits, name)), name, *key)

    async def take(self, limits: AttemptLimits, name: LimitName, *key: str) -> None:
        """Count one attempt if allowed; otherwise refuse with the seconds to wait (nothing counted)."""
        if not await self._limiter.hit(_rate(getattr(limits, name)), name, *key):
            raise Refused(too_many(await self.wait(limits, name, *key) or 1))

    async def admit(self, target: Target, caller: Caller, per_user: PerUser) -> None:
        """The address's attempt is counted; a user whose failures are used up waits, existing or not."""
        limits = target.policy.policy.limits
        await self.take(limits, "attempts_per_address", caller.address)
        if wait := await self.wait(limits, per_user, target.policy.tenant, target.username):
            raise Refused(too_many(wait))

    async def failed(self, target: Target, per_user: PerUser) -> None:
        await self.count(target.policy.policy.limits, per_user, target.policy.tenant, target.username)

    async def guarded(
        self,
        target: Target,
        caller: Caller,
        per_user: PerUser,
        attempt: Callable[[], Awaitable[_T]],
        failures: Collection[ErrorCode],
    ) -> _T:
        """Run an attempt within the limits, counting it against the user when it fails. During a lock
        even the right answer waits, or guessing would only be slowed down."""
        await self.admit(target, caller, per_user)
        try:
            return await attempt()
        except Refused as refused:
            if refused.outcome.code in failures:
                await self.failed(target, per_user)
            raise
