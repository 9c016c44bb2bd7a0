"""No answer reveals whether a user exists (prevent_user_existence_errors, the default)."""

from __future__ import annotations

from tests.helpers import ACME_KEY
from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, attrs
from tests.helpers.flows import PASSWORD, confirm, resend, sign_in, sign_up, wrong


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
    pending, done, ghost = (f"{first}{unique}@shop.example" for first in ("pending", "done", "ghost"))
    sign_up(api, pending)
    confirmed_user(api, done)
    answers = [resend(api, name) for name in (pending, done, ghost)]
    assert {a["__typename"] for a in answers} == {"ResendConfirmationCodeSuccess"}
    # An e-mail username is its own address: each answer is the mask of the name asked about.
    assert [a["codeDelivery"]["destination"] for a in answers] == ["p***@s***", "d***@s***", "g***@s***"]
    assert api.outbox("shop", ghost) == []


def test_plain_usernames_hide_existence_too(api: Api, unique: str) -> None:
    """A plain username is not an address, so the masked destination must not tell users apart."""
    taken = f"taken{unique}"
    sign_up(api, taken, tenant="club", email="owner@club.example")
    email = {"email": "newcomer@example.org"}
    assert sign_up(api, taken, tenant="club", **email) == sign_up(api, f"free{unique}", tenant="club", **email)

    pending, done = f"pending{unique}", f"done{unique}"
    sign_up(api, pending, tenant="club", email="pending@club.example")
    confirmed_user(api, done, tenant="club", email="done@club.example")
    for name in (pending, done, f"ghost{unique}"):
        first = resend(api, name, tenant="club")
        assert first["__typename"] == "ResendConfirmationCodeSuccess"
        assert resend(api, name, tenant="club") == first  # stable, so repeating it reveals nothing either


def test_an_invited_user_cannot_skip_the_first_sign_in_with_a_code(api: Api, unique: str) -> None:
    invited = f"skip-{unique}"
    attributes = attrs(email=f"{invited}@acme.example", custom_employee_id="E000002")
    api.data(INVITE_USER, {"input": {"tenant": "acme", "username": invited, "attributes": attributes}}, token=ACME_KEY)
    assert resend(api, invited, tenant="acme")["__typename"] == "ResendConfirmationCodeSuccess"
    assert [m["kind"] for m in api.outbox("acme", invited)] == ["INVITATION"]
    assert confirm(api, invited, "000000", tenant="acme")["code"] == "CODE_MISMATCH"
    temporary = api.temporary_password("acme", invited)
    assert sign_in(api, invited, temporary, tenant="acme")["__typename"] == "NewPasswordRequired"


def test_a_tenant_may_choose_revealing_answers(api: Api, unique: str) -> None:
    username = f"legacy-{unique}"
    email = f"{username}@legacy.example"
    assert sign_up(api, username, tenant="legacy", password=PASSWORD, email=email)["__typename"] == "SignUpSuccess"
    # A registration still unconfirmed is replaced by the next sign-up, revealing tenant or not (account
    # pre-hijacking, tests/registration/test_pre_hijacking.py); a confirmed name is taken.
    again = sign_up(api, username, tenant="legacy", password=PASSWORD, email=email)
    assert again["__typename"] == "SignUpSuccess"
    assert confirm(api, f"ghost-{unique}", "123456", tenant="legacy")["code"] == "USER_NOT_FOUND"
    assert resend(api, f"ghost-{unique}", tenant="legacy")["code"] == "USER_NOT_FOUND"
    assert (
        confirm(api, username, api.last_code("legacy", username), tenant="legacy")["__typename"]
        == "ConfirmSignUpSuccess"
    )
    taken = sign_up(api, username, tenant="legacy", password=PASSWORD, email=email)
    assert (taken["code"], taken["field"]) == ("USERNAME_EXISTS", "username")
    assert confirm(api, username, "123456", tenant="legacy")["code"] == "ALREADY_CONFIRMED"
    assert resend(api, username, tenant="legacy")["code"] == "ALREADY_CONFIRMED"
