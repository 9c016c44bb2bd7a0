"""The tenants being served, replaceable one file at a time while requests read them.

Reads are plain dict lookups on an immutable snapshot; a change builds a new snapshot and swaps it in,
so a request never sees half a change, and the cost of a change does not grow with the number of
tenants beyond copying references.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from api.policy.loader import PolicyError
from api.policy.model import TenantPolicy
from api.policy.sharing import undeclared_shares


class PolicyStore(Mapping[str, TenantPolicy]):
    def __init__(self, tenants: Mapping[str, TenantPolicy]) -> None:
        self._tenants: Mapping[str, TenantPolicy] = MappingProxyType(dict(tenants))
        # pool name -> the tenants naming it, kept up to date so no request scans every tenant
        self._pools: dict[str, frozenset[str]] = {}
        # browser origin -> the tenants allowing it, for CORS preflights
        self._origins: dict[str, frozenset[str]] = {}
        for tenant in tenants.values():
            self._add_to_pool(tenant)
        self._errors: Mapping[Path, tuple[PolicyError, ...]] = MappingProxyType({})
        self._lock = threading.Lock()  # serialises writers; readers take the current snapshot

    @classmethod
    def admitting(
        cls, tenants: Mapping[str, TenantPolicy], broken: Mapping[Path, tuple[PolicyError, ...]] | None = None
    ) -> PolicyStore:
        """The store of a directory loaded at start-up: the files that did not load (`broken`) and the
        tenants of a pool shared without every file declaring it are refused (listed in `errors`), the
        others serve."""
        refused = {**(broken or {}), **undeclared_shares(tenants)}
        store = cls({name: tenant for name, tenant in tenants.items() if tenant.path not in refused})
        for path, errors in refused.items():
            store.refuse(path, errors)
        return store

    def __getitem__(self, tenant: str) -> TenantPolicy:
        return self._tenants[tenant]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tenants)

    def __len__(self) -> int:
        return len(self._tenants)

    @property
    def errors(self) -> Mapping[Path, tuple[PolicyError, ...]]:
        """Files refused at their last change, while their last good version (if any) keeps serving."""
        return self._errors

    def _add_to_pool(self, policy: TenantPolicy) -> None:
        for origin in policy.policy.cors.allowed_origins:
            self._origins[origin] = self._origins.get(origin, frozenset()) | {policy.tenant}
        pool = policy.policy.cognito.user_pool
        self._pools[pool] = self._pools.get(pool, frozenset()) | {policy.tenant}

    def _drop_from_pool(self, policy: TenantPolicy) -> None:
        for origin in policy.policy.cors.allowed_origins:
            self._origins[origin] = self._origins.get(origin, frozenset()) - {policy.tenant}
        pool = policy.policy.cognito.user_pool
        self._pools[pool] = self._pools.get(pool, frozenset()) - {policy.tenant}

    def origin_allowed(self, origin: str) -> bool:
        """Whether any tenant lets pages of this browser origin call it (the CORS preflight's question)."""
        return bool(self._origins.get(origin))

    def pool_tenants(self, pool: str) -> frozenset[str]:
        """The tenants whose policies name this user pool."""
        return self._pools.get(pool, frozenset())

    def put(self, policy: TenantPolicy) -> None:
        with self._lock:
            previous = self._tenants.get(policy.tenant)
            if previous is not None:
                self._drop_from_pool(previous)
            self._add_to_pool(policy)
            self._tenants = MappingProxyType({**self._tenants, policy.tenant: policy})
            self._errors = MappingProxyType({p: e for p, e in self._errors.items() if p != policy.path})

    def remove(self, path: Path) -> TenantPolicy | None:
        """Drop the tenant whose file this was; returns it, or None if no tenant came from it."""
        with self._lock:
            candidate = self._tenants.get(path.stem)  # the file name is the tenant id
            gone = candidate if candidate is not None and candidate.path == path else None
            if gone is not None:
                self._tenants = MappingProxyType({k: v for k, v in self._tenants.items() if k != gone.tenant})
                self._drop_from_pool(gone)
            self._errors = MappingProxyType({p: e for p, e in self._errors.items() if p != path})
            return gone

    def refuse(self, path: Path, errors: tuple[PolicyError, ...]) -> None:
        with self._lock:
            self._errors = MappingProxyType({**self._errors, path: errors})
