"""What every use case does first: find the tenant, check the page's origin, name the user as the
tenant spells it, and decide with the engine (writing the audit line).

Ownership in shared pools lives here too: a user belongs to the tenant stamped on it, and an unstamped
user (created outside regapi) to the pool's only tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from api.cognito.port import IdentityProvider, PoolBinding, UserRecord
from api.policy import Decision, TenantPolicy, evaluate, normalize_username
from api.policy.engine import PolicyRequest
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE
from api.policy.store import PolicyStore
from api.registration.failures import ORIGIN_REFUSED, deny, no_tenant, refuse
from api.registration.requests import Attributes, Caller

audit = logging.getLogger("regapi.audit")


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
    def __init__(self, policies: PolicyStore, pools: Mapping[str, PoolBinding], provider: IdentityProvider) -> None:
        self._policies = policies
        self._pools = pools
        self._provider = provider

    def policy(self, tenant: str, caller: Caller) -> TenantPolicy:
        """The tenant's policy, if it exists and the calling page's origin may call it (a browser page
        may call only the tenants that list its origin; nothing is listed by default)."""
        policy = self._policies.get(tenant)
        if policy is None:
            refuse(no_tenant(tenant))
        if caller.origin is not None and caller.origin not in policy.policy.cors.allowed_origins:
            audit.info("origin refused tenant=%s", tenant)
            refuse(ORIGIN_REFUSED)
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
    audit.info(
        "decision tenant=%s operation=%s allowed=%s violations=%s revision=%s",
        decision.tenant,
        decision.operation,
        decision.allowed,
        ",".join(f"{v.code.value}:{v.attribute or v.field}" for v in decision.violations) or "-",
        decision.revision,
    )
    deny(decision)
    return decision
