"""Finding users without scanning them: the user lookup every call makes, the e-mail uniqueness check,
ListUsers and ListUsersInGroup, all read from the pool's index (api.cognito.embedded.user_index).

Each answers as moto's scan answered, plus Cognito's case-insensitive usernames: `find_user_by_scan`
keeps the scanning lookup as the reference (tests/cognito/embedded/test_user_index.py compares the
two) and as bench/embedded_signups.py's baseline. moto_internals installs them in place of moto's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from api.cognito.embedded.moto_internals import (
    AliasExistsException,
    Backend,
    InvalidParameterException,
    Pool,
    User,
    UserPages,
    UserStatus,
    exclusive,
    moto_get_user,
    moto_list_users,
    paginated,
    pool_by_id,
    users_of,
)
from api.cognito.embedded.user_index import ENABLED, FILED_ATTRIBUTES, STATUS

_FILTER = re.compile(r"([\w:]+)\s*(=|\^=)\s*\"(.*)\"")  # moto's ListUsers filter syntax
MAX_PAGE = 60  # API Reference, ListUsers Limit
_scanning = False


def _case_insensitive(pool: Pool) -> bool:
    return pool.extended_config.get("UsernameConfiguration", {}).get("CaseSensitive") is False


def find_user(pool: Pool, username: str) -> User | None:
    """moto's lookup (a username attribute's value, else the username) plus Cognito's case-insensitive
    usernames (UsernameConfiguration.CaseSensitive=False), from the index. It takes the place of moto's
    `_get_user`, so that moto's own handlers find users the same way."""
    if _scanning or not isinstance(username, str):
        return find_user_by_scan(pool, username)
    users = users_of(pool)
    kinds = pool.extended_config.get("UsernameAttributes") or []
    user = users.first_with((kind, username) for kind in kinds) or users.get(username)
    if user is not None or not username or not _case_insensitive(pool):
        return user
    return users.first_folded(username.casefold(), email="email" in kinds)


def find_user_by_scan(pool: Pool, username: str) -> User | None:
    """The same lookup by scanning every user, as it was before the index."""
    user = moto_get_user(pool, username)
    if user is not None or not username or not _case_insensitive(pool):
        return user
    folded = username.casefold()
    email_username = "email" in pool.extended_config.get("UsernameAttributes", [])
    for candidate in pool.users.values():
        if candidate.username.casefold() == folded:
            return candidate
        if email_username and candidate.attribute_lookup.get("email", "").casefold() == folded:
            return candidate
    return None


def look_up_by_scan(enabled: bool) -> None:
    """Make `find_user` scan, as before the index: bench/embedded_signups.py's baseline, nothing else."""
    global _scanning  # noqa: PLW0603 - a process-wide switch for the benchmark
    _scanning = enabled


def check_email_unused(backend: Backend, user_pool_id: str, email: str | None) -> None:
    """In a pool whose usernames are e-mail addresses, an address belongs to one user (moto's check,
    which UpdateUserAttributes and AdminUpdateUserAttributes make, by a scan)."""
    if not email:
        return
    pool = backend.describe_user_pool(user_pool_id)
    if "email" in pool.extended_config.get("UsernameAttributes", []) and users_of(pool).first_with([("email", email)]):
        raise AliasExistsException


def _filed_key(filt: str) -> tuple[str, str] | None:
    """The index key an exact filter names: an attribute of FILED_ATTRIBUTES, the user's status (whose
    values compare case-insensitively: API Reference, ListUsers) or whether it is enabled."""
    match = _FILTER.match(filt)
    if match is None or match[2] != "=":
        return None
    name, value = match[1], match[3]
    if name == "cognito:user_status":
        return (STATUS, value.upper())
    if name == "status":
        return (ENABLED, value)
    return (name, value) if name in FILED_ATTRIBUTES else None


def list_users(
    backend: Backend, user_pool_id: str, filt: str, limit: int | None = None, pagination_token: str | None = None
) -> tuple[list[User], str | None]:
    """moto's ListUsers (its filters, order, pages and tokens), with Cognito's limit of 60 a page: a page
    costs its own length, and an exact filter on username, email, phone_number, sub, cognito:user_status
    or status the same, from the index. Other filters are searches and scan, as moto does (`^=`, and
    name and the other attributes); custom attributes cannot be searched (moto refuses them too)."""
    if limit is not None and int(limit) > MAX_PAGE:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_PAGE}"
        )
    pages = UserPages(limit, pagination_token)  # before the pool is looked up, as in moto
    users = users_of(backend.describe_user_pool(user_pool_id))
    key = _filed_key(filt) if filt else None
    if filt and key is None:
        return pages.of(moto_list_users(backend, user_pool_id, filt))
    first = None if (first_id := pages.first_id()) is None else users.by_id(first_id)
    return pages.cut(users.filed_from(key, first.username if first is not None else None), first)


@paginated
def list_users_in_group(backend: Backend, user_pool_id: str, group_name: str) -> list[User]:
    """The group's users in creation order (moto scans the pool's users for them)."""
    users = users_of(backend.describe_user_pool(user_pool_id))
    group = backend.get_group(user_pool_id, group_name)
    return users.in_order(user.username for user in group.users if users.get(user.username) is user)


def add_users(pool_id: str, users: Iterable[tuple[str, Mapping[str, str]]], password: str) -> None:
    """Put CONFIRMED users (username, attributes) straight into a pool, past every check and the
    outbox: how bench/embedded_signups.py fills a pool with 100,000 users in seconds."""
    with exclusive():
        pool = pool_by_id(pool_id)
        alias = bool(pool.extended_config.get("UsernameAttributes"))
        for username, values in users:
            attributes = [{"Name": name, "Value": value} for name, value in values.items()]
            user = User(pool_id, None if alias else username, password, UserStatus.CONFIRMED, attributes)
            pool.users[user.username] = user
