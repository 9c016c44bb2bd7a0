"""No answer reveals whether a user exists (prevent_user_existence_errors, the default)."""

from __future__ import annotations

from tests.conftest import ACME_KEY, Api
from tests.documents import INVITE_USER, attrs
from tests.test_signup_flow import PASSWORD, confirm, resend, sign_in, sign_up, wrong


def confirmed_user(api: Api, username: str, tenant: str = "shop", **attributes: str) -> None:
    sign_up(api, username, tenant=tenant, **attributes)
    assert (
        confirm(api, username, api.last_code(tenant, username), tenant=tenant)["__typename"] == "ConfirmSignUpSuccess"
    )


def test_sign_up_answers_the_same_for_a_taken_address(api: Api, unique: str) -> None:
    taken = f"taken-{unique}@shop.example"
    confirmed_user(api, taken)
    again = sign_up(api, taken, password="another pass 7")
    fresh = sign_up(api, f"tfresh-{unique}@shop.example")
    assert again == fresh
    assert again["__typename"] == "SignUpSuccess"
    # The taken address got no new code, and its password did not change.
    assert len([m for m in api.outbox("shop", taken) if m["kind"] == "SIGN_UP_CODE"]) == 1
    assert sign_in(api, taken)["__typename"] == "SignInSuccess"


def test_confirm_answers_the_same_for_unknown_users_and_wrong_codes(api: Api, unique: str) -> None:
    pending = f"pending-{unique}@shop.example"
    sign_up(api, pending)
    done = f"done-{unique}@shop.example"
    confirmed_user(api, done)
    code = api.last_code("shop", pending)
    answers = [
        confirm(api, pending, wrong(code)),
        confirm(api, f"ghost-{unique}@shop.example", code),
        confirm(api, done, code),
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["code"] == "CODE_MISMATCH"


def test_sign_in_answers_the_same_for_unknown_users_and_wrong_passwords(api: Api, unique: str) -> None:
    known = f"known-{unique}@shop.example"
    confirmed_user(api, known)
    assert sign_in(api, known, "wrong password 9") == sign_in(api, f"ghost-{unique}@shop.example")
    assert sign_in(api, known, "wrong password 9")["code"] == "NOT_AUTHORIZED"
    # The same on the invite-only tenant, whose users are plain usernames.
    invited = f"inv-{unique}"
    api.data(
        INVITE_USER,
        {
            "input": {
                "tenant": "acme",
                "username": invited,
                "attributes": attrs(email=f"{invited}@acme.example", custom_employee_id="E000001"),
            }
        },
        token=ACME_KEY,
    )
    assert sign_in(api, invited, "Wrong-Passw0rd!", tenant="acme") == sign_in(
        api, f"nobody-{unique}", "Wrong-Passw0rd!", tenant="acme"
    )


def test_resend_answers_the_same_for_unknown_and_confirmed_users(api: Api, unique: str) -> None:
    pending = f"p{unique}@shop.example"
    sign_up(api, pending)
    done = f"p{unique}@shop.example".replace("@", "x@")
    confirmed_user(api, done)
    ghost = f"p{unique}@shop.example".replace("@", "y@")
    answers = [resend(api, pending), resend(api, done), resend(api, ghost)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["__typename"] == "ResendConfirmationCodeSuccess"
    assert api.outbox("shop", ghost) == []


def test_a_tenant_may_choose_revealing_answers(api: Api, unique: str) -> None:
    username = f"legacy-{unique}"
    email = f"{username}@legacy.example"
    assert sign_up(api, username, tenant="legacy", password=PASSWORD, email=email)["__typename"] == "SignUpSuccess"
    taken = sign_up(api, username, tenant="legacy", password=PASSWORD, email=email)
    assert (taken["code"], taken["field"]) == ("USERNAME_EXISTS", "username")
    assert confirm(api, f"ghost-{unique}", "123456", tenant="legacy")["code"] == "USER_NOT_FOUND"
    assert resend(api, f"ghost-{unique}", tenant="legacy")["code"] == "USER_NOT_FOUND"
    assert (
        confirm(api, username, api.last_code("legacy", username), tenant="legacy")["__typename"]
        == "ConfirmSignUpSuccess"
    )
    assert confirm(api, username, "123456", tenant="legacy")["code"] == "ALREADY_CONFIRMED"
    assert resend(api, username, tenant="legacy")["code"] == "ALREADY_CONFIRMED"
