"""The users of one pool, in creation order, filed under every key a call finds a user by: the
username, its case-folded form, the alias attributes' values (e-mail, phone number), the case-folded
e-mail, the `sub`, moto's internal id, and the user's status and whether it is enabled (ListUsers'
`cognito:user_status` and `status` filters).

moto keeps a pool's users in one ordered dict and scans it for anything but the exact username; with
this index in that dict's place (moto_internals installs it) a lookup costs the same at 10 users and
at 100,000. The index is kept in step by its own mapping methods (a user added or deleted) and by
`refile`, which moto_internals calls whenever a user's attributes, status or enabled flag are replaced.
Lookups answer exactly as the scans did: when several users match, the earliest created wins, as the
first one a scan in creation order would meet. Each key's users are kept in creation order, so that a
page of a filtered listing starts where the last one ended at the cost of a bisection, not a scan.

It holds no lock: the embedded Cognito runs one request at a time (moto_internals' request lock).
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, MutableMapping, ValuesView
from typing import Any, Generic, Protocol, TypeVar

# Attributes filed by exact value: the alias attributes moto compares usernames with, and those that
# ListUsers' exact filters name (`username` files the username too, as moto's filter matches either).
FILED_ATTRIBUTES = frozenset({"email", "phone_number", "sub", "username"})
# Keys beside the attributes start with a space, which no attribute name contains. STATUS files a user
# under its status (CONFIRMED, ...), ENABLED under "Enabled" or "Disabled", as ListUsers names them.
_ID, _FOLDED_USERNAME, _FOLDED_EMAIL = " id", " folded username", " folded email"
STATUS, ENABLED = " status", " enabled"
# Deleted users leave holes in the creation order; it is compacted once they are the larger part.
_COMPACT_AFTER = 1024

Key = tuple[str, str]


class Filed(Protocol):
    """What the index reads of a user (moto's CognitoIdpUser has all of it)."""

    @property
    def id(self) -> str: ...

    @property
    def username(self) -> str: ...

    @property
    def attributes(self) -> list[dict[str, Any]]: ...

    @property
    def status(self) -> Any: ...  # moto's UserStatus, a str enum

    @property
    def enabled(self) -> bool: ...


U = TypeVar("U", bound=Filed)
# Called with a user and the function that refiles it when it joins the index, with None when it leaves.
Link = Callable[[U, Callable[[], None] | None], None]


def _keys_of(user: Filed) -> frozenset[Key]:
    values = {a["Name"]: a["Value"] for a in user.attributes}  # as moto flattens them: the last one wins
    keys = {(name, value) for name, value in values.items() if name in FILED_ATTRIBUTES and isinstance(value, str)}
    keys.add((_ID, user.id))
    keys.add(("username", user.username))
    keys.add((_FOLDED_USERNAME, user.username.casefold()))
    status = user.status
    keys.add((STATUS, str(status.value if isinstance(status, enum.Enum) else status)))
    keys.add((ENABLED, "Enabled" if user.enabled else "Disabled"))
    if isinstance(email := values.get("email"), str):
        keys.add((_FOLDED_EMAIL, email.casefold()))
    return frozenset(keys)


class UserIndex(MutableMapping[str, U], Generic[U]):
    """A pool's `users` (username -> user, in creation order), with the lookups moto would scan for."""

    def __init__(self, link: Link[U], users: Iterable[tuple[str, U]] = ()) -> None:
        self._link = link
        self._users: dict[str, U] = {}
        self._position: dict[str, int] = {}  # username -> place in the creation order
        self._order: list[str | None] = []  # usernames in creation order; None where one was deleted
        self._holes = 0
        self._filed: dict[Key, list[str]] = {}  # key -> usernames filed under it, in creation order
        self._keys: dict[str, frozenset[Key]] = {}  # username -> the keys it is filed under
        for username, user in users:
            self[username] = user

    # ------------------------------------------------------------ the mapping moto sees

    def __getitem__(self, username: str) -> U:
        return self._users[username]

    def __iter__(self) -> Iterator[str]:
        return iter(self._users)

    def __len__(self) -> int:
        return len(self._users)

    def __contains__(self, username: object) -> bool:
        return username in self._users

    def get(self, username: str, default: Any = None) -> Any:
        return self._users.get(username, default)

    def keys(self) -> KeysView[str]:
        return self._users.keys()

    def values(self) -> ValuesView[U]:
        return self._users.values()

    def items(self) -> ItemsView[str, U]:
        return self._users.items()

    def __setitem__(self, username: str, user: U) -> None:
        previous = self._users.get(username)
        if previous is not None:  # a dict keeps a replaced key's place; so does the index
            self._link(previous, None)
        else:
            self._position[username] = len(self._order)
            self._order.append(username)
        self._users[username] = user
        self._link(user, lambda: self.refile(username))
        self.refile(username)

    def __delitem__(self, username: str) -> None:
        user = self._users.pop(username)
        self._link(user, None)
        for key in self._keys.pop(username):
            self._unfile(key, username)
        self._order[self._position.pop(username)] = None
        self._holes += 1
        if self._holes > _COMPACT_AFTER and self._holes * 2 > len(self._order):
            live = [name for name in self._order if name is not None]
            self._order, self._position = list(live), {name: place for place, name in enumerate(live)}
            self._holes = 0

    # ------------------------------------------------------------ keeping it in step

    def refile(self, username: str) -> None:
        """File a user again under its current keys (its attributes were replaced)."""
        if username not in self._users:
            return
        new = _keys_of(self._users[username])
        old = self._keys.get(username, frozenset())
        for key in old - new:
            self._unfile(key, username)
        for key in new - old:
            bisect.insort(self._filed.setdefault(key, []), username, key=self._position.__getitem__)
        self._keys[username] = new

    def _unfile(self, key: Key, username: str) -> None:
        # Compaction renumbers positions but keeps their order, so every list stays sorted by them.
        filed = self._filed[key]
        del filed[bisect.bisect_left(filed, self._position[username], key=self._position.__getitem__)]
        if not filed:
            del self._filed[key]

    # ------------------------------------------------------------ lookups

    def _earliest(self, keys: Iterable[Key]) -> U | None:
        found = [filed[0] for key in keys if (filed := self._filed.get(key))]
        return self._users[min(found, key=self._position.__getitem__)] if found else None

    def first_with(self, pairs: Iterable[tuple[str, str]]) -> U | None:
        """The earliest user with any of these (attribute, value) pairs, from FILED_ATTRIBUTES."""
        return self._earliest(pairs)

    def first_folded(self, folded: str, *, email: bool) -> U | None:
        """The earliest user whose case-folded username (or, with `email`, e-mail address) is `folded`."""
        keys = [(_FOLDED_USERNAME, folded)]
        if email:
            keys.append((_FOLDED_EMAIL, folded))
        return self._earliest(keys)

    def with_value(self, name: str, value: str) -> list[U]:
        """Every user whose attribute `name` (from FILED_ATTRIBUTES, or STATUS or ENABLED) is `value`, in
        creation order."""
        return [self._users[username] for username in self._filed.get((name, value), ())]

    def filed_from(self, key: Key | None, username: str | None) -> Iterator[U]:
        """The users filed under `key` (all users for None), in creation order, from the place of the user
        `username` on (from the first for None), whether or not that user is filed under it."""
        if key is None:
            return iter(self.values()) if username is None else self.starting_at(username)
        filed = self._filed.get(key, [])
        start = (
            0
            if username is None
            else bisect.bisect_left(filed, self._position[username], key=self._position.__getitem__)
        )
        return (self._users[filed[place]] for place in range(start, len(filed)))

    def in_order(self, usernames: Iterable[str]) -> list[U]:
        """These users (by username, those in the pool), in creation order."""
        known = {name for name in usernames if name in self._users}
        return [self._users[name] for name in sorted(known, key=self._position.__getitem__)]

    def by_id(self, user_id: str) -> U | None:
        """The user with moto's internal id (the `sub` it was created with)."""
        return self._earliest([(_ID, user_id)])

    def starting_at(self, username: str) -> Iterator[U]:
        """The users from this one on, in creation order."""
        order = self._order
        for place in range(self._position[username], len(order)):  # no slice: it would copy the rest
            if (name := order[place]) is not None:
                yield self._users[name]
