"""The users index answers every lookup as the scans it replaced did.

Random histories of users added (through AdminCreateUser and SignUp, and straight into the pool, so
that even collisions the API refuses occur), given new addresses, and deleted, on pools of each kind
of username; after each, every lookup by username, address, letter case and sub finds the same user
as moto's scan and the case-insensitive one, and ListUsers answers as moto's own filtering and
pagination would (the same users, in the same order, page by page).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.clock import ManualClock
from api.cognito.embedded import EmbeddedCognito, lookups, moto_internals
from api.cognito.embedded.outbox import Outbox

PASSWORD = "Index pass 1234"
NAMES = ["ann", "Ann", "ANN", "bob", "Bob", "İsa", "isa"]
EMAILS = ["ann@x.example", "Ann@X.example", "bob@x.example", "BOB@x.example", "isa@x.example"]
PHONES = ["+15550001", "+15550002"]

KINDS = {
    "email usernames, any case": {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": False}},
    "email usernames, exact case": {"UsernameAttributes": ["email"], "UsernameConfiguration": {"CaseSensitive": True}},
    "email or phone usernames": {
        "UsernameAttributes": ["email", "phone_number"],
        "UsernameConfiguration": {"CaseSensitive": False},
    },
    "plain usernames, any case": {"UsernameConfiguration": {"CaseSensitive": False}},
    "plain usernames, exact case": {},
}

add_directly = st.tuples(
    st.just("direct"),
    st.sampled_from(NAMES),
    st.fixed_dictionaries({}, optional={"email": st.sampled_from(EMAILS), "phone_number": st.sampled_from(PHONES)}),
)
add_by_api = st.tuples(st.sampled_from(["admin_create_user", "sign_up"]), st.sampled_from(NAMES + EMAILS), st.just({}))
readdress = st.tuples(st.just("new_email"), st.integers(0, 20), st.sampled_from(EMAILS))
delete = st.tuples(st.just("delete"), st.integers(0, 20), st.just(""))
# Status changes refile a user under its status and enabled keys (ListUsers' status filters).
restate = st.tuples(st.sampled_from(["confirm", "disable", "enable", "reset"]), st.integers(0, 20), st.just(""))
histories = st.lists(st.one_of(add_directly, add_by_api, readdress, delete, restate), min_size=1, max_size=16)
STATUS_FILTERS = [
    *(f'cognito:user_status = "{status}"' for status in ("UNCONFIRMED", "CONFIRMED", "FORCE_CHANGE_PASSWORD")),
    'cognito:user_status = "RESET_REQUIRED"',
    'status = "Enabled"',
    'status = "Disabled"',
]


@pytest.fixture(scope="module")
def embedded() -> EmbeddedCognito:
    return EmbeddedCognito(clock=ManualClock(), outbox=Outbox(console=None))


def apply(embedded: EmbeddedCognito, pool_id: str, client_id: str, step: tuple[str, Any, Any]) -> None:
    client, (action, target, value) = embedded.client, step
    usernames = [user["Username"] for user in client.list_users(UserPoolId=pool_id)["Users"]]
    try:
        if action == "direct":
            lookups.add_users(pool_id, [(target, value)], PASSWORD)
        elif action == "admin_create_user":
            client.admin_create_user(UserPoolId=pool_id, Username=target, MessageAction="SUPPRESS")
        elif action == "sign_up":
            client.sign_up(ClientId=client_id, Username=target, Password=PASSWORD)
        elif usernames and action == "new_email":
            attributes = [{"Name": "email", "Value": value}]
            name = usernames[target % len(usernames)]
            client.admin_update_user_attributes(UserPoolId=pool_id, Username=name, UserAttributes=attributes)
        elif usernames and action == "delete":
            client.admin_delete_user(UserPoolId=pool_id, Username=usernames[target % len(usernames)])
        elif usernames and action in ("confirm", "disable", "enable"):
            call = getattr(client, {"confirm": "admin_confirm_sign_up"}.get(action, f"admin_{action}_user"))
            call(UserPoolId=pool_id, Username=usernames[target % len(usernames)])
        elif usernames and action == "reset":
            with moto_internals.exclusive():  # straight to RESET_REQUIRED: these users have no verified address
                user = moto_internals.pool_by_id(pool_id).users[usernames[target % len(usernames)]]
                user.status = moto_internals.UserStatus.RESET_REQUIRED
    except ClientError:
        pass  # refused as Cognito refuses it (a taken name, a malformed address): the history goes on


def listing(embedded: EmbeddedCognito, pool_id: str, **params: Any) -> list[str]:
    """Every page of ListUsers, three users a page: the usernames, in the order given."""
    names: list[str] = []
    params = {"UserPoolId": pool_id, "Limit": 3, **params}
    while True:
        page = embedded.client.list_users(**params)
        names += [user["Username"] for user in page["Users"]]
        if not page.get("PaginationToken"):
            return names
        params["PaginationToken"] = page["PaginationToken"]


def check(embedded: EmbeddedCognito, pool_id: str) -> None:
    with moto_internals.exclusive():
        pool = moto_internals.pool_by_id(pool_id)
        users = list(pool.users.values())
        probes = {p for user in users for p in (user.username, user.id, *user.attribute_lookup.values())}
        probes |= {variant for p in list(probes) for variant in (p.upper(), p.lower(), p.casefold())}
        probes |= {*NAMES, *EMAILS, *PHONES, "", "nobody"}
        for probe in sorted(probes):
            assert lookups.find_user(pool, probe) is lookups.find_user_by_scan(pool, probe), probe
            for name in ("email", "phone_number", "sub", "username"):
                filt = f'{name} = "{probe}"'
                found, _ = lookups.list_users(pool.backend, pool_id, filt, limit=60)
                assert found == moto_internals.moto_list_users(pool.backend, pool_id, filt), filt
        for filt in STATUS_FILTERS:
            found, _ = lookups.list_users(pool.backend, pool_id, filt, limit=60)
            assert found == moto_internals.moto_list_users(pool.backend, pool_id, filt), filt
    # And through the API, page by page: every user once, in creation order, as moto lists them.
    assert listing(embedded, pool_id) == [user.username for user in users]
    for filt in STATUS_FILTERS:
        with moto_internals.exclusive():
            expected = [u.username for u in moto_internals.moto_list_users(pool.backend, pool_id, filt)]
        assert listing(embedded, pool_id, Filter=filt) == expected, filt
    for user in users[:2]:
        assert listing(embedded, pool_id, Filter=f'sub = "{user.id}"') == [user.username]


@pytest.fixture(scope="module")
def pools(embedded: EmbeddedCognito) -> dict[str, tuple[str, str]]:
    """A pool (and app client) of each kind: moto takes half a second to create one, so examples share
    them, each starting by deleting the users the one before left."""
    made = {}
    for kind, settings_ in KINDS.items():
        policy = {"PasswordPolicy": {"MinimumLength": 8}}
        pool_id = embedded.client.create_user_pool(
            PoolName="index", AutoVerifiedAttributes=["email"], Policies=policy, **settings_
        )["UserPool"]["Id"]
        embedded.attach(pool_id)
        app = embedded.client.create_user_pool_client(UserPoolId=pool_id, ClientName="index")["UserPoolClient"]
        made[kind] = (pool_id, app["ClientId"])
    return made


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(KINDS)), history=histories)
def test_lookups_find_the_user_the_scans_found(
    embedded: EmbeddedCognito, pools: dict[str, tuple[str, str]], kind: str, history: list[Any]
) -> None:
    pool_id, client_id = pools[kind]
    for user in embedded.client.list_users(UserPoolId=pool_id)["Users"]:
        embedded.client.admin_delete_user(UserPoolId=pool_id, Username=user["Username"])
    for step in history:
        apply(embedded, pool_id, client_id, step)
    check(embedded, pool_id)


def test_status_filters_and_their_pages_are_served_from_the_index(
    embedded: EmbeddedCognito, pools: dict[str, tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A status filter is an index lookup, not moto's scan, and a later page starts at its token's user
    rather than walking the users before it."""
    pool_id, _ = pools["plain usernames, exact case"]
    for user in embedded.client.list_users(UserPoolId=pool_id)["Users"]:
        embedded.client.admin_delete_user(UserPoolId=pool_id, Username=user["Username"])
    lookups.add_users(pool_id, [(f"u{n}", {}) for n in range(30)], PASSWORD)

    def no_scan(*args: Any) -> None:
        raise AssertionError("a status filter scanned the pool")

    monkeypatch.setattr(lookups, "moto_list_users", no_scan)
    first = embedded.client.list_users(UserPoolId=pool_id, Limit=5, Filter='cognito:user_status = "CONFIRMED"')
    with moto_internals.exclusive():
        users = moto_internals.pool_by_id(pool_id).users
        walked: list[str] = []
        monkeypatch.setattr(type(users), "values", lambda index: walked.append("values") or iter(()))
        monkeypatch.setattr(type(users), "starting_at", lambda index, name: walked.append(name) or iter(()))
    second = embedded.client.list_users(
        UserPoolId=pool_id,
        Limit=5,
        Filter='cognito:user_status = "CONFIRMED"',
        PaginationToken=first["PaginationToken"],
    )
    assert [u["Username"] for u in first["Users"] + second["Users"]] == [f"u{n}" for n in range(10)]
    assert walked == []
