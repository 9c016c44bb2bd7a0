"""What every use case does first: find the tenant, check the page's origin, name the user as the
tenant spells it, and decide with the engine (writing the audit line).

Which browser origins may call which tenant is decided here only (`OriginRule`): the CORS preflight
(api.http.BrowserOrigins, for any tenant) and every use case (for the request's tenant) ask the same rule.

Ownership in shared pools lives here too: a user belongs to the tenant stamped on it, and an unstamped
user (created outside regapi) to the pool's only tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from api.cognito.port import IdentityProvider, PoolBinding, UserRecord
from api.observability import audit, metrics, scope
from api.policy import Decision, TenantPolicy, evaluate, is_valid_username, normalize_username
from api.policy.engine import PolicyRequest
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE
from api.policy.store import PolicyStore
from api.registration.failures import ORIGIN_REFUSED, WRONG_CODE, deny, hide_existence, no_tenant, refuse
from api.registration.requests import Attributes, Caller, plausible_code


def owns(tenant: str, shared: bool, stamp: str | None) -> bool:
    """Whether a user stamped so belongs to `tenant`. Users without a stamp (created outside regapi)
    belong to the pool's only tenant, and to no tenant of a shared pool."""
    return stamp == tenant or (stamp is None and not shared)


@dataclass(frozen=True, slots=True)
class Target:
    """A request's tenant, its pool, and the username as the tenant spells it."""

    policy: TenantPolicy
    pool: PoolBinding
    username: str
    shared: bool  # other tenants name the same pool

    def owns(self, user: UserRecord | None) -> bool:
        return user is not None and owns(self.policy.tenant, self.shared, user.attributes.get(TENANT_ATTRIBUTE))

    def owns_stamp(self, stamp: object) -> bool:
        return owns(self.policy.tenant, self.shared, stamp if isinstance(stamp, str) else None)

    @property
    def tenant(self) -> str:
        return self.policy.tenant

    @property
    def hides_existence(self) -> bool:
        return self.policy.policy.registration.prevent_user_existence_errors


# An origin exactly as a browser serialises a page on the developer's own machine: scheme, one of the three
# loopback hosts, an optional port; nothing else (no user info, path, trailing dot, upper case, or longer
# name such as localhost.evil.example or 127.0.0.1.nip.io, which any DNS owner can point anywhere).
_LOOPBACK_ORIGIN = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::(?P<port>[1-9][0-9]{0,4}))?")


def loopback_origin(origin: str) -> bool:
    """Whether `origin` is a page on this machine: http(s)://localhost, 127.0.0.1 or [::1], any port."""
    match = _LOOPBACK_ORIGIN.fullmatch(origin)
    return match is not None and int(match["port"] or 0) <= 65535


class OriginRule:
    """The browser origins whose pages may call a tenant: those its policy lists (`cors.allowed_origins`),
    and, when `loopback` is on (development, see Settings.loopback_origins), every loopback origin."""

    def __init__(self, policies: PolicyStore, *, loopback: bool) -> None:
        self._policies = policies
        self._loopback = loopback

    def _by_default(self, origin: str) -> bool:
        return self._loopback and loopback_origin(origin)

    def allows(self, policy: TenantPolicy, origin: str) -> bool:
        return origin in policy.policy.cors.allowed_origins or self._by_default(origin)

    def allows_some_tenant(self, origin: str) -> bool:
        """The preflight's question: a preflight has no body, so it cannot say which tenant it is for."""
        return self._policies.origin_allowed(origin) or self._by_default(origin)


def new_user_attributes(target: Target, sent: Attributes, origin: str) -> dict[str, str]:
    """What Cognito stores for a new user: what the policy allowed, plus regapi's stamps (tenant and
    how the user came), plus the e-mail address when it is the username."""
    attributes = dict(sent)
    attributes[TENANT_ATTRIBUTE] = target.tenant
    attributes[ORIGIN_ATTRIBUTE] = origin
    if target.policy.policy.username.kind == "email":
        attributes["email"] = target.username
    return attributes


class Tenancy:
    def __init__(
        self,
        policies: PolicyStore,
        pools: Mapping[str, PoolBinding],
        provider: IdentityProvider,
        origins: OriginRule | None = None,
    ) -> None:
        """`origins`: the rule the app also answers preflights by; without one, only the listed origins."""
        self._policies = policies
        self._pools = pools
        self._provider = provider
        self._origins = origins or OriginRule(policies, loopback=False)

    def policy(self, tenant: str, caller: Caller) -> TenantPolicy:
        """The tenant's policy, if it exists and the calling page's origin may call it (a browser page
        may call only the tenants that list its origin, and in development any tenant from a loopback origin)."""
        policy = self._policies.get(tenant)
        if policy is None:
            refuse(no_tenant(tenant))
        scope.set_tenant(policy.tenant)  # for Cognito's quota buckets and the audit events further down
        if caller.origin is not None and not self._origins.allows(policy, caller.origin):
            # The origin is the page's to choose: a field of its own (quoted in text), never part of the message.
            audit.event("origin_refused", code=ORIGIN_REFUSED.code.value, origin=caller.origin)
            refuse(ORIGIN_REFUSED, audited=True)
        return policy

    def target(self, tenant: str, username: str, caller: Caller) -> Target:
        policy = self.policy(tenant, caller)
        return self.target_of(policy, username)

    def target_of(self, policy: TenantPolicy, username: str) -> Target:
        name = policy.policy.cognito.user_pool
        shared = len(self._policies.pool_tenants(name)) > 1
        return Target(policy, self._pools[name], normalize_username(policy.policy, username), shared)

    async def belongs(self, target: Target) -> bool:
        """In a shared pool, whether the user exists and is this tenant's (one extra Cognito call)."""
        if not target.shared:
            return True
        return target.owns(await self._provider.admin_get_user(target.pool, target.username))

    async def may_try_code(self, target: Target, code: str) -> None:
        """Before a code reaches Cognito: one Cognito could have sent, for a user of this tenant. Anything
        else is a wrong code, which is also what a known user's wrong code looks like where existence is
        hidden (elsewhere the unknown user is named)."""
        if not plausible_code(code):
            refuse(WRONG_CODE)
        if not is_valid_username(target.username) or not await self.belongs(target):
            hide_existence(target.hides_existence)
            refuse(WRONG_CODE)


class KeyedLocks:
    """One lock per user of a pool, held while a use case reads and then changes that user, so two
    requests of this process cannot interleave there; kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def lock(self, target: Target) -> AsyncIterator[None]:
        key = (target.pool.user_pool_id, target.username)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def decide(policy: TenantPolicy, request: PolicyRequest) -> Decision:
    """The engine's decision, written to the audit log; a denial stops the use case."""
    decision = evaluate(policy, request)
    # Names and codes only: values may be personal data, and passwords never reach a log.
    audit.decision(
        decision.allowed,
        tenant=decision.tenant,
        operation=decision.operation,
        codes=sorted({v.code.value for v in decision.violations}),
        violations=[f"{v.code.value}:{v.attribute or v.field}" for v in decision.violations],
        revision=decision.revision,
    )
    metrics.decision(decision.tenant, decision.operation, decision.allowed, (v.code.value for v in decision.violations))
    deny(decision)
    return decision
