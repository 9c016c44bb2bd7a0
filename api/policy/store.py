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


class PolicyStore(Mapping[str, TenantPolicy]):
    def __init__(self, tenants: Mapping[str, TenantPolicy]) -> None:
        self._tenants: Mapping[str, TenantPolicy] = MappingProxyType(dict(tenants))
        self._errors: Mapping[Path, tuple[PolicyError, ...]] = MappingProxyType({})
        self._lock = threading.Lock()  # serialises writers; readers take the current snapshot

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

    def put(self, policy: TenantPolicy) -> None:
        with self._lock:
            self._tenants = MappingProxyType({**self._tenants, policy.tenant: policy})
            self._errors = MappingProxyType({p: e for p, e in self._errors.items() if p != policy.path})

    def remove(self, path: Path) -> TenantPolicy | None:
        """Drop the tenant whose file this was; returns it, or None if no tenant came from it."""
        with self._lock:
            gone = next((t for t in self._tenants.values() if t.path == path), None)
            if gone is not None:
                self._tenants = MappingProxyType({k: v for k, v in self._tenants.items() if k != gone.tenant})
            self._errors = MappingProxyType({p: e for p, e in self._errors.items() if p != path})
            return gone

    def refuse(self, path: Path, errors: tuple[PolicyError, ...]) -> None:
        with self._lock:
            self._errors = MappingProxyType({**self._errors, path: errors})
