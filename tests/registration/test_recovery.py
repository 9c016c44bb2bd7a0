"""Password recovery over GraphQL, on both backends: forgotPassword, confirmForgotPassword and an
administrator's adminResetPassword, with the tenant's password rules, attempt limits and existence hiding."""

from __future__ import annotations

from typing import Any

from api.cognito.port import mask_destination
from tests.helpers.client import Api
from tests.helpers.documents import fields_of
from tests.helpers.flows import (
    PASSWORD,
    admin_reset,
    confirm,
    confirm_forgot,
    forgot,
    sign_in,
    sign_up,
    wrong,
)

RESET = "PASSWORD_RESET_CODE"
NEW = "another horse 43"  # fits shop's policy
SHOP_KEY = "shop-backoffice-demo-key"
ACME_KEY = "acme-hr-demo-key"


def confirmed_user(api: Api, username: str) -> None:
    assert sign_up(api, username)["__typename"] == "SignUpSuccess"
    assert confirm(api, username, api.last_code("shop", username))["userStatus"] == "CONFIRMED"


def reset_codes(api: Api, username: str) -> list[Any]:
    return [m for m in api.outbox("shop", username) if m["kind"] == RESET]


def test_a_forgotten_password_is_reset_with_the_code_sent(api: Api, unique: str) -> None:
    username = f"forgot-{unique}@shop.example"
    confirmed_user(api, username)
    started = forgot(api, username)
    assert started == {
        "__typename": "ForgotPasswordSuccess",
        "nextStep": "CONFIRM_RESET_PASSWORD_WITH_CODE",
        "codeDelivery": {"medium": "EMAIL", "destination": mask_destination(username)},
    }
    code = api.last_code("shop", username, RESET)
    weak = confirm_forgot(api, username, code, "short")
    assert weak["__typename"] == "PolicyDenied"
    assert ("PASSWORD_TOO_SHORT", "newPassword") in fields_of(weak)  # decided before the code is spent
    wrong_code = confirm_forgot(api, username, wrong(code), NEW)
    assert (wrong_code["__typename"], wrong_code["code"]) == ("RegistrationError", "CODE_MISMATCH")
    done = confirm_forgot(api, username, code, NEW)
    assert done == {"__typename": "ConfirmForgotPasswordSuccess", "nextStep": "DONE"}
    assert sign_in(api, username, NEW)["__typename"] == "SignInSuccess"
    assert sign_in(api, username, PASSWORD)["code"] == "NOT_AUTHORIZED"
    again = confirm_forgot(api, username, code, "yet another horse 44")  # a code is spent once
    assert again["__typename"] == "RegistrationError"
    assert again["code"] in {"CODE_MISMATCH", "CODE_EXPIRED"}


def test_an_unknown_user_gets_the_answer_a_known_one_gets(api: Api, unique: str) -> None:
    known, unknown = f"known-{unique}@shop.example", f"ghost-{unique}@shop.example"
    confirmed_user(api, known)
    for username in (known, unknown):
        started = forgot(api, username)
        assert started["__typename"] == "ForgotPasswordSuccess"
        assert started["codeDelivery"] == {"medium": "EMAIL", "destination": mask_destination(username)}
    assert reset_codes(api, unknown) == []  # nothing was sent: there is nobody
    never_asked = f"quiet-{unique}@shop.example"  # Cognito answers "expired" to a user with no reset code
    confirmed_user(api, never_asked)
    for username in (known, unknown, never_asked):
        refused = confirm_forgot(api, username, "123456", NEW)
        assert (refused["__typename"], refused["code"]) == ("RegistrationError", "CODE_MISMATCH")


def test_reset_requests_and_wrong_codes_are_limited_per_user(api: Api, unique: str) -> None:
    username = f"limited-{unique}@shop.example"
    confirmed_user(api, username)
    answers = [forgot(api, username) for _ in range(6)]  # resets_per_user: 5 per hour
    assert [a["__typename"] for a in answers[:5]] == ["ForgotPasswordSuccess"] * 5
    assert answers[5]["code"] == "TOO_MANY_ATTEMPTS"
    assert answers[5]["retryAfterSeconds"] > 0
    code = api.last_code("shop", username, RESET)
    for _ in range(5):  # wrong_codes_per_user: 5 per 15 minutes
        assert confirm_forgot(api, username, wrong(code), NEW)["code"] == "CODE_MISMATCH"
    locked = confirm_forgot(api, username, code, NEW)  # even the right code waits
    assert locked["code"] == "TOO_MANY_ATTEMPTS"


def test_an_administrators_reset_holds_sign_in_until_the_user_resets(api: Api, unique: str) -> None:
    username = f"adminreset-{unique}@shop.example"
    confirmed_user(api, username)
    assert admin_reset(api, username, SHOP_KEY) == {
        "__typename": "AdminUserSuccess",
        "username": username,
        "userStatus": "RESET_REQUIRED",
        "enabled": True,
    }
    held = sign_in(api, username)
    assert (held["__typename"], held["code"]) == ("RegistrationError", "PASSWORD_RESET_REQUIRED")
    code = api.last_code("shop", username, RESET)
    assert confirm_forgot(api, username, code, NEW)["__typename"] == "ConfirmForgotPasswordSuccess"
    assert sign_in(api, username, NEW)["__typename"] == "SignInSuccess"


def test_an_administrator_resets_only_its_own_tenants_users(api: Api, unique: str) -> None:
    username = f"other-{unique}@shop.example"
    confirmed_user(api, username)
    foreign = admin_reset(api, username, ACME_KEY)
    assert (foreign["__typename"], foreign["code"]) == ("RegistrationError", "NOT_AUTHORIZED")
    assert admin_reset(api, username, f"wrong-key-{unique}")["code"] == "NOT_AUTHORIZED"
    missing = admin_reset(api, f"nobody-{unique}@shop.example", SHOP_KEY)
    assert (missing["code"], missing["field"]) == ("USER_NOT_FOUND", "username")
    assert sign_in(api, username)["__typename"] == "SignInSuccess"  # untouched


def test_in_a_shared_pool_another_tenants_user_is_nobody(api: Api, unique: str) -> None:
    username = f"n-{unique}@regional.example"
    assert sign_up(api, username, tenant="north", password=PASSWORD)["__typename"] == "SignUpSuccess"
    assert confirm(api, username, api.last_code("north", username), tenant="north")["userStatus"] == "CONFIRMED"
    through_south = forgot(api, username, tenant="south")
    assert through_south["__typename"] == "ForgotPasswordSuccess"
    assert [m for m in api.outbox("north", username) if m["kind"] == RESET] == []
    refused = confirm_forgot(api, username, "123456", "Str0ng-and-long-enough!", tenant="south")
    assert refused["code"] == "CODE_MISMATCH"
