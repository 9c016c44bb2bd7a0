"""The self sign-up flow over HTTP: signUp -> code from the outbox -> confirmSignUp -> signIn."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import boto3

from tests.helpers.client import Api
from tests.helpers.documents import REGISTRATION_FORM, SIGN_UP, codes
from tests.helpers.flows import PASSWORD, confirm, resend, sign_in, sign_up, wrong


def test_sign_up_confirm_and_sign_in(api: Api, unique: str) -> None:
    username = f"ann-{unique}@shop.example"
    result = sign_up(api, f"  Ann-{unique}@Shop.Example ")  # e-mail usernames are trimmed and case-folded
    assert result == {
        "__typename": "SignUpSuccess",
        "nextStep": "CONFIRM_SIGN_UP",
        "codeDelivery": {"medium": "EMAIL", "destination": "a***@s***"},
    }
    code = api.last_code("shop", username)
    assert len(code) == 6
    assert code.isdigit()
    assert sign_in(api, username)["code"] == "USER_NOT_CONFIRMED"

    mismatch = confirm(api, username, wrong(code))
    assert (mismatch["__typename"], mismatch["code"], mismatch["field"]) == (
        "RegistrationError",
        "CODE_MISMATCH",
        "code",
    )
    assert confirm(api, username, code) == {"__typename": "ConfirmSignUpSuccess", "userStatus": "CONFIRMED"}

    signed_in = sign_in(api, username.upper())
    assert signed_in["__typename"] == "SignInSuccess"
    assert signed_in["tokens"]["refreshToken"]
    assert sign_in(api, username, "wrong password 1")["code"] == "NOT_AUTHORIZED"


def test_resend_replaces_the_code(api: Api, unique: str) -> None:
    username = f"resend-{unique}@shop.example"
    sign_up(api, username)
    first = api.last_code("shop", username)
    sent = resend(api, username)
    assert sent == {
        "__typename": "ResendConfirmationCodeSuccess",
        "codeDelivery": {"medium": "EMAIL", "destination": "r***@s***"},
    }
    second = api.last_code("shop", username)
    assert len(api.outbox("shop", username)) == 2
    if first != second:  # one chance in a million that the new code repeats the old one
        assert confirm(api, username, first)["code"] == "CODE_MISMATCH"
    assert confirm(api, username, second)["__typename"] == "ConfirmSignUpSuccess"


def test_code_expires_after_24_hours(api: Api, unique: str) -> None:
    username = f"slow-{unique}@shop.example"
    sign_up(api, username)
    code = api.last_code("shop", username)
    api.advance(timedelta(hours=24, minutes=1))
    expired = confirm(api, username, code)
    assert (expired["__typename"], expired["code"]) == ("RegistrationError", "CODE_EXPIRED")
    resend(api, username)
    assert confirm(api, username, api.last_code("shop", username))["userStatus"] == "CONFIRMED"


def test_admin_only_tenant_refuses_sign_up_and_says_so_in_its_form(api: Api, unique: str) -> None:
    result = sign_up(
        api, f"eve-{unique}", tenant="acme", password="Str0ng-Passw0rd!", email=f"eve-{unique}@acme.example"
    )
    assert result["__typename"] == "PolicyDenied"
    assert result["code"] == "SELF_SIGNUP_DISABLED"
    assert ("SELF_SIGNUP_DISABLED", None) in codes(result)
    assert api.outbox("acme", f"eve-{unique}") == []

    form = api.data(REGISTRATION_FORM, {"tenant": "acme", "operation": "SIGN_UP"})
    assert form["enabled"] is False
    invite_form = api.data(REGISTRATION_FORM, {"tenant": "acme", "operation": "INVITE"})
    assert invite_form["enabled"] is True
    assert {f["attribute"] for f in invite_form["fields"]} == {"email", "name", "custom:employee_id"}


def test_sign_up_form_follows_the_policy(api: Api) -> None:
    form = api.data(REGISTRATION_FORM, {"tenant": "shop", "operation": "SIGN_UP"})
    assert form["enabled"] is True
    assert form["usernameKind"] == "EMAIL"
    assert form["passwordPolicy"] == {
        "minLength": 10,
        "requireLowercase": True,
        "requireUppercase": False,
        "requireDigits": True,
        "requireSymbols": False,
    }
    fields = {f["attribute"]: f for f in form["fields"]}
    assert set(fields) == {"name", "custom:plan"}  # the e-mail is the username, not a second field
    assert fields["custom:plan"]["options"] == ["free", "pro"]
    assert fields["custom:plan"]["inputType"] == "select"
    assert fields["custom:plan"]["immutable"] is True
    assert fields["name"]["required"] is True
    assert fields["name"]["maxLength"] == 100
    unknown = api.gql(REGISTRATION_FORM, {"tenant": "nope", "operation": "SIGN_UP"})
    assert unknown["errors"][0]["extensions"]["code"] == "TENANT_NOT_FOUND"


def test_every_attribute_rule_is_enforced_through_the_api(api: Api, unique: str) -> None:
    result = sign_up(
        api,
        f"rules-{unique}@shop.example",
        password="short",
        name="x" * 101,
        custom_plan="gold",
        custom_unknown="1",
        email="someone-else@shop.example",
        email_verified="true",
    )
    assert result["__typename"] == "PolicyDenied"
    assert result["code"] == "POLICY_VIOLATION"
    assert codes(result) == {
        ("TOO_LONG", "name"),
        ("VALUE_NOT_ALLOWED", "custom:plan"),
        ("UNKNOWN_ATTRIBUTE", "custom:unknown"),
        ("EMAIL_MISMATCH", "email"),
        ("RESERVED_ATTRIBUTE", "email_verified"),
        ("PASSWORD_TOO_SHORT", None),
        ("PASSWORD_NEEDS_DIGIT", None),
    }
    assert result["policyRevision"]
    assert all(v["message"] for v in result["violations"])


def test_missing_required_and_bad_username(api: Api) -> None:
    result = sign_up(api, "not-an-email", custom_plan="free")
    assert codes(result) == {("USERNAME_INVALID", None), ("REQUIRED_ATTRIBUTE_MISSING", "name")}


def test_invite_only_attribute_and_other_rules_on_a_username_tenant(api: Api, unique: str) -> None:
    result = sign_up(
        api,
        f"has space {unique}",
        tenant="legacy",
        password="longenough",
        email="x@spam.example",
        nickname="ab",
        custom_department="sales",
        sub="forged",
    )
    assert codes(result) == {
        ("USERNAME_INVALID", None),
        ("EMAIL_DOMAIN_NOT_ALLOWED", "email"),
        ("TOO_SHORT", "nickname"),
        ("ATTRIBUTE_NOT_WRITABLE", "custom:department"),
        ("RESERVED_ATTRIBUTE", "sub"),
    }
    invalid = sign_up(api, f"fmt-{unique}", tenant="legacy", password="longenough", email="not-an-address")
    assert codes(invalid) == {("INVALID_FORMAT", "email")}
    twice = api.data(
        SIGN_UP,
        {
            "input": {
                "tenant": "legacy",
                "username": f"dup-{unique}",
                "password": "longenough",
                "attributes": [{"name": "email", "value": "a@b.example"}, {"name": "email", "value": "c@d.example"}],
            }
        },
    )
    assert codes(twice) == {("DUPLICATE_ATTRIBUTE", "email")}


def test_password_rules_are_reported_one_by_one(api: Api, unique: str) -> None:
    username = f"pw-{unique}@shop.example"
    result = sign_up(api, username, password=" NO LOWERCASE 1 ")
    assert codes(result) == {("PASSWORD_NEEDS_LOWERCASE", None), ("PASSWORD_INVALID_CHARACTER", None)}
    too_long = sign_up(api, username, password="a1" * 129)
    assert codes(too_long) == {("PASSWORD_TOO_LONG", None)}
    assert {v["field"] for v in too_long["violations"]} == {"password"}


def test_input_cognito_could_never_hold_is_answered_like_a_wrong_guess(api: Api, unique: str) -> None:
    username = f"odd-{unique}@shop.example"
    assert confirm(api, username, "")["code"] == "CODE_MISMATCH"
    assert confirm(api, username, "12 34")["code"] == "CODE_MISMATCH"
    assert confirm(api, "", "123456")["code"] == "CODE_MISMATCH"
    assert sign_in(api, "has space@shop.example")["code"] == "NOT_AUTHORIZED"
    assert sign_in(api, username, "")["code"] == "NOT_AUTHORIZED"
    assert resend(api, "x" * 200)["__typename"] == "ResendConfirmationCodeSuccess"


def test_a_password_reset_by_an_administrator_must_be_reset_first(embedded_api: Api, unique: str) -> None:
    username = f"reset-{unique}@shop.example"
    sign_up(embedded_api, username)
    confirm(embedded_api, username, embedded_api.last_code("shop", username))
    # The administrator acts on the pool directly, as an operator would with the AWS console.
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pages = cognito.get_paginator("list_user_pools").paginate(MaxResults=60)  # the process holds many pools
    pools = [p["Id"] for page in pages for p in page["UserPools"] if p["Name"] == "regapi-shop"]
    for pool_id in pools:
        with contextlib.suppress(cognito.exceptions.UserNotFoundException):
            cognito.admin_reset_user_password(UserPoolId=pool_id, Username=username)
    result = sign_in(embedded_api, username)
    assert (result["__typename"], result["code"]) == ("RegistrationError", "PASSWORD_RESET_REQUIRED")


# Issue 9, finding 7: look-alike usernames. `post` has plain, case-insensitive usernames and says when a
# username is taken, so a look-alike either maps to the existing account (USERNAME_EXISTS) or is refused.
def post_sign_up(api: Api, username: str, password: str = PASSWORD, **attributes: str) -> Any:
    values = {"email": "someone@post.example", "name": "Someone", **attributes}
    return sign_up(api, username, tenant="post", password=password, **values)


def test_look_alikes_of_an_existing_username_are_refused_or_are_that_account(api: Api, unique: str) -> None:
    original = f"vic{unique}"
    assert post_sign_up(api, original)["__typename"] == "SignUpSuccess"
    assert confirm(api, original, api.last_code("post", original), tenant="post")["userStatus"] == "CONFIRMED"
    same_account = {
        "full-width letters": f"\uff56\uff49\uff43{unique}",
        "capitals": f"VIC{unique}",
    }
    refused = {
        "Cyrillic i": f"v\u0456c{unique}",
        "dotless i": f"v\u0131c{unique}",
        "capital I with dot (lower-cases to i and a combining dot)": f"v\u0130c{unique}",
        "combining dot above": f"vi\u0307c{unique}",
        "combining low line": f"v\u0332ic{unique}",
        "small capitals": f"\u1d20\u026a\u1d04{unique}",
        "Cyrillic look-alikes only": "\u0430\u0441\u0435",
    }
    for label, username in same_account.items():
        result = post_sign_up(api, username)
        assert (result["__typename"], result.get("code")) == ("RegistrationError", "USERNAME_EXISTS"), label
    for label, username in refused.items():
        result = post_sign_up(api, username)
        assert result["__typename"] == "PolicyDenied", label
        assert codes(result) == {("USERNAME_INVALID", None)}, label
        assert api.outbox("post", username.lower()) == [], label
    assert len(api.outbox("post", original)) == 1


JAPANESE = ("山田太郎", "やまだ", "ヤマダ", "yamada_太郎", "田中さくら", "スズキ・イチロー")


def test_japanese_usernames_sign_up_confirm_and_sign_in(api: Api, unique: str) -> None:
    for name in JAPANESE:
        username = f"{name}{unique}"  # ends in Latin letters and digits: Japanese with Latin, as people mix them
        assert post_sign_up(api, username)["__typename"] == "SignUpSuccess", name
        code = api.last_code("post", username)
        assert confirm(api, username, code, tenant="post")["userStatus"] == "CONFIRMED", name
        assert sign_in(api, username, tenant="post")["__typename"] == "SignInSuccess", name


def test_an_address_has_one_spelling(api: Api, unique: str) -> None:
    for username in (f'"vic{unique}"@shop.example', f"vic{unique}(x)@shop.example", f"vic{unique}@shop.example(x)"):
        result = sign_up(api, username)
        assert result["__typename"] == "PolicyDenied", username
        assert [(v["code"], v["message"]) for v in result["violations"]] == [
            ("USERNAME_INVALID", "Enter a valid e-mail address.")
        ]
    long = sign_up(api, f"{'x' * 60}.{'y' * 60}.{unique}@shop.example")
    assert [(v["code"], v["message"]) for v in long["violations"]] == [
        ("USERNAME_INVALID", "Use an e-mail address of at most 128 characters.")
    ]
    assert sign_up(api, f"vic{unique}@shop.example")["__typename"] == "SignUpSuccess"


# Issue 9, finding 6: control characters.
def test_control_and_invisible_characters_are_refused(api: Api, unique: str) -> None:
    for value in ("Eve\nEvil", "Eve\x00", "Eve\x1b[31m", "Eve\u202etxt.exe", "Eve\u2028Evil", "Eve\u200b"):
        result = post_sign_up(api, f"cc-{unique}", name=value)
        assert codes(result) == {("INVALID_CHARACTER", "name")}, repr(value)
    for password in ("correct\x00horse 42", "correct\nhorse 42", "correct\x1bhorse 42"):
        result = post_sign_up(api, f"cc-{unique}", password=password)
        assert codes(result) == {("PASSWORD_INVALID_CHARACTER", None)}, repr(password)
    name = {"attributes": [{"name": "custom:x\nregapi.audit", "value": "1"}]}
    forged = api.data(SIGN_UP, {"input": {"tenant": "post", "username": f"cc-{unique}", "password": PASSWORD, **name}})
    assert ("INVALID_CHARACTER", "custom:x\nregapi.audit") in codes(forged)
    # Joiners that Persian and the Indic scripts need stay: ZWNJ in a Persian name, ZWJ in a Devanagari one.
    persian, devanagari = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0915\u094d\u200d\u0937"
    joined = post_sign_up(api, f"cc-{unique}", name=f"{persian} {devanagari}")
    assert joined["__typename"] == "SignUpSuccess"


def test_only_a_multiline_attribute_takes_line_breaks(api: Api, unique: str) -> None:
    address = "1 Main Street\r\nSpringfield\nUSA"
    assert codes(post_sign_up(api, f"ml-{unique}", name="Ann\nExample", address=address)) == {
        ("INVALID_CHARACTER", "name")
    }
    assert codes(post_sign_up(api, f"ml-{unique}", address="1 Main Street\x00")) == {("INVALID_CHARACTER", "address")}
    assert post_sign_up(api, f"ml-{unique}", address=address)["__typename"] == "SignUpSuccess"


def test_a_value_of_spaces_does_not_satisfy_required(api: Api, unique: str) -> None:
    for blank in ("   ", "\u3000", " \t"):
        result = sign_up(api, f"blank-{unique}@shop.example", name=blank, custom_plan="free")
        assert ("REQUIRED_ATTRIBUTE_MISSING", "name") in codes(result), repr(blank)
