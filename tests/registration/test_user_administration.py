"""The tenant's users as its administrator manages them, over GraphQL on both backends: the paged listing,
disable, enable, delete and adminUpdateUserAttributes (decided under ADMIN_UPDATE); only the tenant's own."""

from __future__ import annotations

from typing import Any

from tests.helpers.client import Api
from tests.helpers.documents import (
    ADMIN_UPDATE_ATTRIBUTES,
    CONFIRM_SIGN_IN,
    USERS,
    admin_user_action,
    attrs,
    codes,
)
from tests.helpers.flows import PASSWORD, confirm, sign_in, sign_up

SHOP_KEY, ACME_KEY, NORTH_KEY, SOUTH_KEY = (
    "shop-backoffice-demo-key",
    "acme-hr-demo-key",
    "north-admin-key",
    "south-admin-key",
)
GUILD_KEY = "guild-admin-key"
APPROVE = """mutation A($input: ApproveSignUpInput!) { approveSignUp(input: $input) { __typename } }"""
REJECT = """
mutation R($input: RejectSignUpInput!) {
  rejectSignUp(input: $input) { __typename ... on RegistrationError { code field } }
}
"""


def confirmed(api: Api, username: str, tenant: str = "shop") -> None:
    extra = {} if tenant == "shop" else {"email": username}
    assert sign_up(api, username, tenant=tenant, **extra)["__typename"] == "SignUpSuccess"
    assert confirm(api, username, api.last_code(tenant, username), tenant=tenant)["userStatus"] == "CONFIRMED"


def users(api: Api, key: str, tenant: str = "shop", **variables: Any) -> Any:
    return api.data(USERS, {"tenant": tenant, **variables}, token=key)


def every_user(api: Api, key: str, tenant: str, first: int, **variables: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    for _ in range(500):
        page = users(api, key, tenant, first=first, after=after, **variables)
        assert page["__typename"] == "UserList", page
        assert len(page["users"]) <= first
        found += page["users"]
        if (after := page["nextCursor"]) is None:
            return found
    raise AssertionError("the listing never ended")


def act(api: Api, name: str, username: str, key: str = SHOP_KEY, tenant: str = "shop") -> Any:
    return api.data(admin_user_action(name), {"input": {"tenant": tenant, "username": username}}, token=key)


def test_the_listing_pages_through_the_tenants_own_users_only(api: Api, unique: str) -> None:
    mine = {f"list{n}-{unique}@regional.example" for n in range(3)}
    for username in mine:
        confirmed(api, username, "north")
    listed = every_user(api, NORTH_KEY, "north", first=2)
    names = [u["username"] for u in listed]
    assert len(names) == len(set(names))  # no user twice across pages
    assert mine <= set(names)
    assert all(u["userStatus"] in {"CONFIRMED", "UNCONFIRMED"} for u in listed)
    assert not mine & {u["username"] for u in every_user(api, SOUTH_KEY, "south", first=60)}  # the same pool
    unconfirmed = every_user(api, NORTH_KEY, "north", first=60, status="UNCONFIRMED")
    assert not mine & {u["username"] for u in unconfirmed}
    assert all(u["userStatus"] == "UNCONFIRMED" for u in unconfirmed)


def test_a_cursor_works_only_where_it_was_given(api: Api, unique: str) -> None:
    for n in range(2):
        confirmed(api, f"cur{n}-{unique}@shop.example")
    page = users(api, SHOP_KEY, first=1)
    cursor = page["nextCursor"]
    assert cursor
    for tenant, key, status, after in (
        ("shop", SHOP_KEY, None, cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")),
        ("shop", SHOP_KEY, "CONFIRMED", cursor),  # another filter
        ("north", NORTH_KEY, None, cursor),  # another tenant
        ("shop", SHOP_KEY, None, "not-a-cursor"),
        ("shop", SHOP_KEY, None, "abc.d\u00e9f"),  # not ASCII: compared as bytes, never an unexpected error
    ):
        refused = users(api, key, tenant, first=1, after=after, status=status)
        assert (refused["__typename"], refused["code"]) == ("RegistrationError", "INVALID_CURSOR")
    assert users(api, ACME_KEY)["code"] == "NOT_AUTHORIZED"
    assert users(api, f"wrong-key-{unique}")["code"] == "NOT_AUTHORIZED"  # any text becomes a known secret


def test_disable_enable_and_delete_a_user(api: Api, unique: str) -> None:
    username = f"act-{unique}@shop.example"
    confirmed(api, username)
    assert act(api, "disableUser", username) == {
        "__typename": "AdminUserSuccess",
        "username": username,
        "userStatus": "CONFIRMED",
        "enabled": False,
    }
    assert sign_in(api, username)["code"] == "NOT_AUTHORIZED"
    assert act(api, "enableUser", username)["enabled"] is True
    assert sign_in(api, username)["__typename"] == "SignInSuccess"
    assert act(api, "disableUser", username, key=ACME_KEY)["code"] == "NOT_AUTHORIZED"
    assert act(api, "deleteUser", username)["__typename"] == "AdminUserSuccess"
    assert sign_in(api, username)["code"] == "NOT_AUTHORIZED"
    gone = act(api, "enableUser", username)
    assert (gone["code"], gone["field"]) == ("USER_NOT_FOUND", "username")


def test_another_tenants_user_of_a_shared_pool_is_nobody(api: Api, unique: str) -> None:
    username = f"nn-{unique}@regional.example"
    confirmed(api, username, "north")
    for name in ("disableUser", "deleteUser", "adminResetPassword"):
        assert act(api, name, username, key=SOUTH_KEY, tenant="south")["code"] == "USER_NOT_FOUND"
    assert sign_in(api, username, tenant="north")["__typename"] == "SignInSuccess"


def test_a_sign_up_awaiting_approval_is_not_enabled_around_the_approval(api: Api, unique: str) -> None:
    username = f"wait-{unique}@guild.example"
    result = sign_up(api, username, tenant="guild", password=PASSWORD, email=username, name="Waiting")
    assert result["nextStep"] == "AWAIT_APPROVAL"
    refused = act(api, "enableUser", username, key=GUILD_KEY, tenant="guild")
    assert (refused["code"], refused["field"]) == ("POLICY_VIOLATION", "username")


def test_an_administrator_changes_attributes_under_admin_update(api: Api, unique: str) -> None:
    username = f"upd-{unique}@shop.example"
    confirmed(api, username)

    def update(**values: str) -> Any:
        variables = {"input": {"tenant": "shop", "username": username, "attributes": attrs(**values)}}
        return api.data(ADMIN_UPDATE_ATTRIBUTES, variables, token=SHOP_KEY)

    changed = update(name="Renamed")
    assert changed["__typename"] == "AdminUpdateUserAttributesSuccess"
    assert {"name": "name", "value": "Renamed"} in changed["user"]["attributes"]
    denied = update(custom_plan="free", email="else@shop.example")
    assert codes(denied) == {("IMMUTABLE_ATTRIBUTE", "custom:plan"), ("ATTRIBUTE_NOT_WRITABLE", "email")}


def test_a_disabled_member_who_proved_the_address_is_no_pending_sign_up(api: Api, unique: str) -> None:
    username = f"member-{unique}@guild.example"
    sign_up(api, username, tenant="guild", password=PASSWORD, email=username, name="Member")
    approve = {"input": {"tenant": "guild", "username": username}}
    assert api.data(APPROVE, approve, token=GUILD_KEY)["__typename"] == "ApproveSignUpSuccess"
    held = sign_in(api, username, tenant="guild")
    code = api.last_code("guild", username, "VERIFICATION_CODE")
    proof = {"input": {"tenant": "guild", "username": username, "session": held["session"], "code": code}}
    assert api.data(CONFIRM_SIGN_IN, proof)["__typename"] == "SignInSuccess"
    assert act(api, "disableUser", username, key=GUILD_KEY, tenant="guild")["enabled"] is False
    refused = api.data(REJECT, approve, token=GUILD_KEY)  # a member now, not an application: never deleted
    assert refused["code"] == "USER_NOT_FOUND"
    assert act(api, "enableUser", username, key=GUILD_KEY, tenant="guild")["enabled"] is True
    assert sign_in(api, username, tenant="guild")["__typename"] == "SignInSuccess"
