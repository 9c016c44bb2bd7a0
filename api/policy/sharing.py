"""A user pool is shared only by declaration: when several files name one `cognito.user_pool`, every one of
them says `cognito.shared: true`.

Without the rule, copying shop.yaml to blog.yaml silently puts blog into shop's pool: blog's sign-up of an
address shop already holds answers success and sends no code, because usernames are unique per pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from api.policy.checks import Problem
from api.policy.loader import PolicyError, located
from api.policy.model import TenantPolicy

KEY = "cognito.shared"  # the key every refusal of this rule names


def undeclared_shares(tenants: Mapping[str, TenantPolicy]) -> dict[Path, tuple[PolicyError, ...]]:
    """Start-up: the files of every pool shared without every file declaring it. Nothing tells which
    file is the newcomer, so each file of such a pool is refused."""
    pools: dict[str, list[TenantPolicy]] = {}
    for tenant in tenants.values():
        pools.setdefault(tenant.policy.cognito.user_pool, []).append(tenant)
    refused: dict[Path, tuple[PolicyError, ...]] = {}
    for pool, members in pools.items():
        if _declared(members):
            continue
        for member in members:
            others = _named(m for m in members if m is not member)
            message = (
                f"pool {pool!r} is also named by {others}, and not every file naming it declares it shared: "
                "none of these tenants is served"
            )
            refused[member.path] = (_error(member, message),)
    return refused


def joining(policy: TenantPolicy, members: Sequence[TenantPolicy]) -> tuple[PolicyError, ...]:
    """Hot reload: the problem of one file that arrives in (or changes within) a pool other tenants serve
    from, when the share is not declared by all of them. Only the arriving file is refused."""
    if _declared([policy, *members]):
        return ()
    pool = policy.policy.cognito.user_pool
    undeclared = [m for m in members if not m.policy.cognito.shared]
    if policy.policy.cognito.shared:
        message = f"pool {pool!r} is served to {_named(undeclared)}, which does not declare it shared"
    else:
        message = f"pool {pool!r} is served to {_named(members)} already, and this file does not declare it shared"
    return (_error(policy, message + f": tenant {policy.tenant!r} is not served"),)


def _declared(members: Sequence[TenantPolicy]) -> bool:
    """The rule: a pool named by one tenant, or by several that all declare the share."""
    return len(members) < 2 or all(m.policy.cognito.shared for m in members)


def _named(tenants: Iterable[TenantPolicy]) -> str:
    return ", ".join(f"{t.tenant} ({t.path})" for t in sorted(tenants, key=lambda t: t.tenant))


def _error(tenant: TenantPolicy, message: str) -> PolicyError:
    fix = (
        "give this tenant its own cognito.user_pool; or, if the tenants are meant to share one pool (usernames "
        "unique across them, each user stamped with its tenant), add `shared: true` under `cognito:` in every "
        "file naming it"
    )
    try:
        return located(tenant.path, [Problem(("cognito", "shared"), message, fix)])[0]
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # changed on disk since it loaded: no line, same words
        return PolicyError(tenant.path, None, KEY, message, fix)
