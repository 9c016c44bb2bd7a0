"""The account after registration, by its user, over GraphQL on both backends: me, updateUserAttributes
(decided under PROFILE_UPDATE), verifyUserAttribute, changePassword, refreshTokens and signOut."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from api.cognito.embedded.signing import sign
from tests.helpers.client import Api
from tests.helpers.documents import (
    CHANGE_PASSWORD,
    ME,
    REFRESH_TOKENS,
    SIGN_OUT,
    UPDATE_ATTRIBUTES,
    VERIFY_ATTRIBUTE,
    attrs,
    codes,
    fields_of,
)
from tests.helpers.flows import PASSWORD, confirm, sign_in, sign_up, wrong

NEW = "another horse 43"


def tokens_of(api: Api, username: str, tenant: str = "shop", password: str = PASSWORD) -> dict[str, Any]:
    signed_in = sign_in(api, username, password, tenant=tenant)
    assert signed_in["__typename"] == "SignInSuccess", signed_in
    tokens: dict[str, Any] = signed_in["tokens"]
    api.secrets |= {tokens["accessToken"], tokens["refreshToken"], tokens["idToken"]}
    return tokens


def shop_user(api: Api, username: str) -> dict[str, Any]:
    assert sign_up(api, username)["__typename"] == "SignUpSuccess"
    assert confirm(api, username, api.last_code("shop", username))["userStatus"] == "CONFIRMED"
    return tokens_of(api, username)


def me(api: Api, token: str | None, tenant: str = "shop") -> Any:
    return api.data(ME, {"tenant": tenant}, token=token)


def update(api: Api, token: str, tenant: str = "shop", **values: str) -> Any:
    return api.data(UPDATE_ATTRIBUTES, {"input": {"tenant": tenant, "attributes": attrs(**values)}}, token=token)


def test_the_user_reads_and_changes_their_profile_under_the_policy(api: Api, unique: str) -> None:
    username = f"me-{unique}@shop.example"
    access = shop_user(api, username)["accessToken"]
    profile = me(api, access)
    assert (profile["__typename"], profile["username"], profile["userStatus"]) == ("Profile", username, "CONFIRMED")
    attributes = {a["name"]: a["value"] for a in profile["attributes"]}
    assert attributes["name"] == "Ann Example"
    assert attributes["custom:plan"] == "pro"
    assert attributes["email_verified"] == "true"
    assert "custom:tenant_id" not in attributes  # regapi's stamp is not the user's to read
    fields = {f["attribute"]: f for f in profile["form"]["fields"]}
    assert profile["form"]["operation"] == "PROFILE_UPDATE"
    assert fields["name"]["writable"] is True
    assert (fields["custom:plan"]["writable"], fields["custom:plan"]["immutable"]) == (False, True)

    changed = update(api, access, name="Ann Changed")
    assert changed["__typename"] == "UpdateUserAttributesSuccess"
    assert {"name": "name", "value": "Ann Changed"} in changed["profile"]["attributes"]
    assert changed["codeDeliveries"] == []
    denied = update(api, access, custom_plan="free", email="new@shop.example")
    assert denied["__typename"] == "PolicyDenied"
    assert codes(denied) == {("IMMUTABLE_ATTRIBUTE", "custom:plan"), ("ATTRIBUTE_NOT_WRITABLE", "email")}


def test_a_changed_address_is_unverified_until_its_code_is_sent_back(api: Api, unique: str) -> None:
    username = f"mover{unique}"
    signed_up = sign_up(api, username, tenant="post", email=f"{username}@post.example", name="Mover")
    assert signed_up["__typename"] == "SignUpSuccess"
    assert confirm(api, username, api.last_code("post", username), tenant="post")["userStatus"] == "CONFIRMED"
    access = tokens_of(api, username, tenant="post")["accessToken"]
    moved = update(api, access, tenant="post", email=f"{username}@moved.example")
    assert moved["__typename"] == "UpdateUserAttributesSuccess"
    assert moved["codeDeliveries"] == [{"medium": "EMAIL", "destination": "m***@m***"}]
    attributes = {a["name"]: a["value"] for a in moved["profile"]["attributes"]}
    assert (attributes["email"], attributes["email_verified"]) == (f"{username}@moved.example", "false")
    # Self-registered, with an address nobody proved: the next sign-in holds the tokens until it is.
    held = sign_in(api, username, PASSWORD, tenant="post")
    assert held["__typename"] == "AddressVerificationRequired"
    code = api.last_code("post", username, "VERIFICATION_CODE")
    verify = {"input": {"tenant": "post", "attribute": "email", "code": wrong(code)}}
    assert api.data(VERIFY_ATTRIBUTE, verify, token=access)["code"] == "CODE_MISMATCH"
    verify["input"]["code"] = code
    assert api.data(VERIFY_ATTRIBUTE, verify, token=access) == {
        "__typename": "VerifyUserAttributeSuccess",
        "attribute": "email",
        "verified": True,
    }
    assert {"name": "email_verified", "value": "true"} in me(api, access, "post")["attributes"]


def test_a_token_opens_only_its_own_tenant(api: Api, unique: str) -> None:
    access = shop_user(api, f"own-{unique}@shop.example")["accessToken"]
    for token, tenant in ((None, "shop"), ("not-a-token", "shop"), (access + "x", "shop"), (access, "acme")):
        refused = me(api, token, tenant)
        assert (refused["__typename"], refused["code"]) == ("RegistrationError", "NOT_AUTHORIZED"), (token, tenant)
    north = f"n-{unique}@regional.example"  # a shared pool: the token verifies, the stamp says north
    assert sign_up(api, north, tenant="north", password=PASSWORD)["__typename"] == "SignUpSuccess"
    assert confirm(api, north, api.last_code("north", north), tenant="north")["userStatus"] == "CONFIRMED"
    north_access = tokens_of(api, north, tenant="north")["accessToken"]
    assert me(api, north_access, "north")["__typename"] == "Profile"
    assert me(api, north_access, "south")["code"] == "NOT_AUTHORIZED"


def test_a_password_changes_with_the_previous_one_and_the_policy(api: Api, unique: str) -> None:
    username = f"change-{unique}@shop.example"
    access = shop_user(api, username)["accessToken"]

    def change(previous: str, proposed: str) -> Any:
        variables = {"input": {"tenant": "shop", "previousPassword": previous, "proposedPassword": proposed}}
        return api.data(CHANGE_PASSWORD, variables, token=access)

    weak = change(PASSWORD, "short")
    assert weak["__typename"] == "PolicyDenied"
    assert ("PASSWORD_TOO_SHORT", "proposedPassword") in fields_of(weak)
    wrong_previous = change("not my password 1", NEW)
    assert (wrong_previous["code"], wrong_previous["field"]) == ("NOT_AUTHORIZED", "previousPassword")
    assert change(PASSWORD, NEW) == {"__typename": "ChangePasswordSuccess", "changed": True}
    assert sign_in(api, username, NEW)["__typename"] == "SignInSuccess"
    assert sign_in(api, username, PASSWORD)["code"] == "NOT_AUTHORIZED"


def test_tokens_refresh_until_the_user_signs_out_everywhere(api: Api, unique: str) -> None:
    username = f"out-{unique}@shop.example"
    tokens = shop_user(api, username)
    refresh = {"input": {"tenant": "shop", "username": username, "refreshToken": tokens["refreshToken"]}}
    refreshed = api.data(REFRESH_TOKENS, refresh)
    assert refreshed["__typename"] == "SignInSuccess"
    fresh = refreshed["tokens"]["accessToken"]
    api.secrets.add(fresh)
    assert me(api, fresh)["__typename"] == "Profile"
    other = {"input": {**refresh["input"], "tenant": "acme"}}
    assert api.data(REFRESH_TOKENS, other)["code"] == "NOT_AUTHORIZED"
    assert api.data(SIGN_OUT, {"input": {"tenant": "shop"}}, token=fresh) == {
        "__typename": "SignOutSuccess",
        "signedOut": True,
    }
    for token in (fresh, tokens["accessToken"]):  # every access token of the user, not only the one used
        assert me(api, token)["code"] == "NOT_AUTHORIZED"
    assert api.data(REFRESH_TOKENS, refresh)["code"] == "NOT_AUTHORIZED"
    assert sign_in(api, username)["__typename"] == "SignInSuccess"  # signing in again works


def test_an_expired_access_token_answers_token_expired(embedded_api: Api, unique: str) -> None:
    access = shop_user(embedded_api, f"expiry-{unique}@shop.example")["accessToken"]
    part = access.split(".", 2)[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    # The pool's own key signs it (the embedded Cognito's, of this process): only its time is over.
    expired_token = sign({**claims, "exp": int(time.time()) - 1})
    embedded_api.secrets.add(expired_token)
    expired = me(embedded_api, expired_token)
    assert (expired["__typename"], expired["code"]) == ("RegistrationError", "TOKEN_EXPIRED")
    assert me(embedded_api, access)["__typename"] == "Profile"
