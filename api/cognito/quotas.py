"""Cognito's request-rate quotas: the categories, AWS's default rates, the operations regapi calls in each, and
the gate that takes a token of the call's category for the request's tenant before every attempt of a
Cognito call (api.cognito.budget asks it once the attempt holds its slot), and `pace`, which waits for one
for the calls made at start-up.

Cognito limits request rates per AWS account and region by category, for all its pools together
(https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html), so every tenant of regapi
shares them. regapi keeps a token bucket per category, shared fairly between the tenants active at the
moment (api.cognito.buckets), and refuses a call it has no token for instead of sending it: the caller
gets SERVICE_UNAVAILABLE with the seconds until a token is due, and Cognito sees nothing.

Challenge responses: AWS gives RespondToAuthChallenge an allowance of its own, three times
UserAuthentication's, except a NEW_PASSWORD_REQUIRED response, which counts toward UserAccountRecovery.
regapi answers no other challenge, so respond_to_auth_challenge is in UserAccountRecovery at one token a
call, and the 3x allowance is not modelled (were MFA challenges answered one day, they would need a bucket
of their own at 3x UserAuthentication's rate). Token refresh (InitiateAuth with REFRESH_TOKEN_AUTH) counts
toward UserAuthentication, as AWS says.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping

from api.cognito.buckets import Buckets, MemoryBuckets, RedisBuckets, aside
from api.cognito.port import ProviderError, ProviderErrorCode
from api.observability import metrics, scope

log = logging.getLogger("regapi.cognito")

# AWS's default quota of each user-pool category, in requests per second (the account may have more: set
# REGAPI_COGNITO_QUOTAS to what Service Quotas shows).
DEFAULT_RATES: Mapping[str, float] = {
    "UserAuthentication": 120,
    "UserCreation": 50,
    "UserFederation": 25,
    "UserAccountRecovery": 30,
    "UserRead": 120,
    "UserUpdate": 25,
    "UserToken": 120,
    "UserResourceRead": 50,
    "UserResourceUpdate": 25,
    "UserList": 30,
    "UserPoolRead": 15,
    "UserPoolUpdate": 15,
    "UserPoolResourceRead": 20,
    "UserPoolResourceUpdate": 15,
    "UserPoolClientRead": 15,
    "UserPoolClientUpdate": 15,
    "ClientAuthentication": 150,
    "LimitManagement": 1,
}

# Every boto3 operation regapi calls, by category (AWS's table; tests/cognito/test_quotas.py checks that each
# operation api/cognito calls is here).
OPERATIONS: Mapping[str, frozenset[str]] = {
    "UserAuthentication": frozenset({"initiate_auth"}),  # sign-in and token refresh
    "UserCreation": frozenset({"sign_up", "confirm_sign_up", "admin_create_user"}),
    "UserAccountRecovery": frozenset(
        {
            "forgot_password",
            "confirm_forgot_password",
            "admin_reset_user_password",
            "admin_set_user_password",
            "change_password",
            "respond_to_auth_challenge",  # NEW_PASSWORD_REQUIRED only: see the module docstring
        }
    ),
    "UserRead": frozenset({"admin_get_user", "get_user"}),
    "UserUpdate": frozenset(
        {
            "admin_update_user_attributes",
            "admin_delete_user",
            "admin_disable_user",
            "admin_enable_user",
            "update_user_attributes",
            "verify_user_attribute",
            "global_sign_out",
        }
    ),
    "UserResourceRead": frozenset({"resend_confirmation_code", "get_user_attribute_verification_code"}),
    "UserList": frozenset({"list_users"}),
    # The start-up check of each pool (api.pools): Quotas.pace waits for their tokens.
    "UserPoolRead": frozenset({"describe_user_pool"}),
    "UserPoolClientRead": frozenset({"describe_user_pool_client"}),
}
CATEGORY_OF: Mapping[str, str] = {op: category for category, ops in OPERATIONS.items() for op in ops}

# The share of calls made outside any request (start-up, reload, the CLI): a tenant of their own.
UNSCOPED = "-"
# A bucket holds one second of its rate (at least one token): a burst after a quiet second may reach twice
# the rate in that second, never more, and the shares of many tenants stay whole tokens.
CAPACITY_SECONDS = 1.0
# Refusals are counted on every call (the metric) but written down at most once per tenant and category
# this often, with how many there were: a flood must not write a line per refused request.
REPORT_SECONDS = 10.0
# What a refused caller is told to wait at least, in whole seconds (retryAfterSeconds).
MIN_RETRY_AFTER = 1
# The longest `pace` waits for one token before giving up.
PACE_SECONDS = 10.0


class UnknownCategoryError(ValueError):
    """REGAPI_COGNITO_QUOTAS names a category Cognito does not have."""


def rates(overrides: Iterable[tuple[str, float]], *, every_category: bool) -> dict[str, float]:
    """The rate of each category kept: AWS's defaults and `overrides` over them, or with `every_category`
    false (the embedded Cognito, which has no quota of its own) only the categories `overrides` names."""
    chosen = dict(DEFAULT_RATES) if every_category else {}
    named: set[str] = set()
    for category, rate in overrides:
        if category not in DEFAULT_RATES:
            close = [known for known in DEFAULT_RATES if known.lower() == category.lower()]
            hint = f" (did you mean {close[0]}?)" if close else f"; Cognito's are {', '.join(DEFAULT_RATES)}"
            raise UnknownCategoryError(f"REGAPI_COGNITO_QUOTAS: {category!r} is not a Cognito quota category{hint}")
        if category in named:
            raise UnknownCategoryError(f"REGAPI_COGNITO_QUOTAS names {category} twice")
        named.add(category)
        chosen[category] = rate
    return chosen


def capacity(rate: float) -> float:
    return max(1.0, rate * CAPACITY_SECONDS)


class Quotas:
    """The gate api.cognito.calls asks before each Cognito call."""

    def __init__(
        self, rates: Mapping[str, float], buckets: Buckets, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rates = dict(rates)
        self._buckets = buckets
        self._clock = clock
        # (tenant, category) -> [refusals not written down yet, when the last line was written]
        self._refused: dict[tuple[str, str], list[float]] = {}

    async def take(self, operation: str) -> None:
        """A token of the operation's category for the request's tenant, or ProviderError(UNAVAILABLE) with
        the whole seconds until one is due. Operations of a category without a quota here pass freely."""
        quota = self._quota(operation)
        if quota is None:
            return
        category, rate = quota
        tenant = scope.tenant() or UNSCOPED
        wait = await self._buckets.take(category, tenant, rate, capacity(rate))
        if wait > 0:
            raise self._refusal(tenant, category, rate, wait)

    def pace(self, operation: str) -> None:
        """For a call made outside the event loop with nobody to answer "later" (the start-up check of each
        pool): blocks until the operation's category has a token for it, as long as the bucket says (shared
        through Redis: so do the other processes' checks), and raises take's ProviderError only when none
        is due within PACE_SECONDS."""
        quota = self._quota(operation)
        if quota is None:
            return
        category, rate = quota
        tenant = scope.tenant() or UNSCOPED
        deadline = time.monotonic() + PACE_SECONDS
        while (wait := self._buckets.take_now(category, tenant, rate, capacity(rate))) > 0:
            if time.monotonic() + wait > deadline:
                raise self._refusal(tenant, category, rate, wait)
            time.sleep(wait)

    def _quota(self, operation: str) -> tuple[str, float] | None:
        """The operation's category and its rate; None when it has no quota here."""
        category = CATEGORY_OF.get(operation)
        rate = self.rates.get(category) if category is not None else None
        return (category, rate) if category is not None and rate is not None else None

    def _refusal(self, tenant: str, category: str, rate: float, wait: float) -> ProviderError:
        metrics.quota_refused(tenant, category)
        self._report(tenant, category, rate)
        return ProviderError(ProviderErrorCode.UNAVAILABLE, retry_after=max(MIN_RETRY_AFTER, math.ceil(wait)))

    def _report(self, tenant: str, category: str, rate: float) -> None:
        now = self._clock()
        entry = self._refused.setdefault((tenant, category), [0, -math.inf])
        entry[0] += 1
        if now - entry[1] < REPORT_SECONDS:
            return
        since = "" if entry[1] == -math.inf else f" in the last {now - entry[1]:.0f} s"
        # A summary of many requests' refusals, not the line of the one refused now.
        aside(
            log.warning,
            "cognito quota %s (%g/s for the account, shared by the active tenants): %d calls of tenant %s refused%s",
            category,
            rate,
            entry[0],
            tenant,
            since,
        )
        entry[:] = [0, now]


def build(
    overrides: Iterable[tuple[str, float]], *, every_category: bool, redis_url: str | None = None, workers: int = 1
) -> Quotas | None:
    """The gate for the settings (REGAPI_COGNITO_QUOTAS, REGAPI_REDIS_URL, REGAPI_WORKERS); None when no
    category is kept. A process that counts alone (no Redis, or Redis out of reach) keeps 1/`workers` of
    each quota, so that this host's workers together stay under it.

    Raises UnknownCategoryError for a name Cognito does not have."""
    chosen = rates(overrides, every_category=every_category)
    if not chosen:
        return None
    buckets = RedisBuckets(redis_url, workers=workers) if redis_url else MemoryBuckets(share=workers)
    return Quotas(chosen, buckets)
