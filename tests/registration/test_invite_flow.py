"""The admin-invite flow over HTTP: inviteUser -> temporary password -> signIn -> new password -> tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.helpers import ACME_KEY, SHOP_KEY
from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, attrs, codes
from tests.helpers.flows import NEW_PASSWORD, respond, sign_in


def invite(api: Api, username: str, *, token: str | None = ACME_KEY, **attributes: str) -> Any:
    if not attributes:
        attributes = {"email": f"{username}@acme.example", "custom_employee_id": "E123456"}
    variables = {"input": {"tenant": "acme", "username": username, "attributes": attrs(**attributes)}}
    return api.data(INVITE_USER, variables, token=token)


def challenge(api: Api, username: str) -> Any:
    invite(api, username)
    result = sign_in(api, username, api.temporary_password("acme", username), tenant="acme")
    assert result["__typename"] == "NewPasswordRequired"
    return result


def test_invited_user_completes_first_sign_in_and_signs_in_again(api: Api, unique: str) -> None:
    username = f"alice-{unique}"
    # acme's usernames are case-insensitive: the user is stored under the lowercase name
    invited = invite(api, username.upper(), email=f"{username}@acme.example", custom_employee_id="E123456")
    assert invited["__typename"] == "InviteUserSuccess"
    assert invited["username"] == username
    assert invited["userStatus"] == "FORCE_CHANGE_PASSWORD"
    expires = datetime.fromisoformat(invited["temporaryPasswordExpiresAt"])
    assert timedelta(days=6, hours=23) < expires - api.now() <= timedelta(days=7)

    (message,) = api.outbox("acme", username)
    assert message["kind"] == "INVITATION"
    assert message["destination"] == f"{username}@acme.example"
    temporary = api.temporary_password("acme", username)

    result = sign_in(api, username, temporary, tenant="acme")
    assert result["__typename"] == "NewPasswordRequired"
    form = result["form"]
    assert form["operation"] == "FIRST_SIGN_IN"
    fields = {f["attribute"]: f for f in form["fields"]}
    assert fields["name"]["required"]
    assert fields["name"]["writable"]
    assert not fields["name"]["alreadySet"]
    email = fields["email"]
    assert email["alreadySet"]
    assert not email["writable"]
    assert not email["required"]
    assert email["value"] == f"{username}@acme.example"
    assert fields["custom:employee_id"]["alreadySet"]
    assert fields["custom:employee_id"]["immutable"]
    assert form["passwordPolicy"]["minLength"] == 12

    done = respond(api, username, result["session"], name="Alice Example")
    assert done["__typename"] == "SignInSuccess"
    assert done["tokens"]["accessToken"]
    assert done["tokens"]["idToken"]
    assert done["tokens"]["tokenType"] == "Bearer"

    again = sign_in(api, username, NEW_PASSWORD, tenant="acme")
    assert again["__typename"] == "SignInSuccess"
    old = sign_in(api, username, temporary, tenant="acme")
    assert (old["__typename"], old["code"]) == ("RegistrationError", "NOT_AUTHORIZED")


def test_expired_invitation_is_reported_so_a_frontend_can_offer_a_resend(api: Api, unique: str) -> None:
    username = f"late-{unique}"
    invite(api, username)
    temporary = api.temporary_password("acme", username)
    api.advance(timedelta(days=7, minutes=1))
    result = sign_in(api, username, temporary, tenant="acme")
    assert (result["__typename"], result["code"]) == ("RegistrationError", "INVITATION_EXPIRED")


def test_first_sign_in_reports_every_broken_rule_at_once(api: Api, unique: str) -> None:
    username = f"rules-{unique}"
    result = challenge(api, username)
    denied = respond(
        api,
        username,
        result["session"],
        password="short",
        email="other@acme.example",
        custom_employee_id="E999999",
        sub="forged",
    )
    assert denied["__typename"] == "PolicyDenied"
    assert denied["code"] == "POLICY_VIOLATION"
    assert {
        ("ATTRIBUTE_ALREADY_SET", "email"),
        ("IMMUTABLE_ATTRIBUTE", "custom:employee_id"),
        ("RESERVED_ATTRIBUTE", "sub"),
        ("REQUIRED_ATTRIBUTE_MISSING", "name"),
        ("PASSWORD_TOO_SHORT", None),
        ("PASSWORD_NEEDS_UPPERCASE", None),
        ("PASSWORD_NEEDS_DIGIT", None),
        ("PASSWORD_NEEDS_SYMBOL", None),
    } <= codes(denied)
    password_fields = {v["field"] for v in denied["violations"] if v["code"].startswith("PASSWORD")}
    assert password_fields == {"newPassword"}
    # Nothing was applied: the same session still completes the sign-in.
    assert respond(api, username, result["session"], name="Rules")["__typename"] == "SignInSuccess"


def test_session_cannot_complete_another_users_sign_in(api: Api, unique: str) -> None:
    alice, bob = f"alice-{unique}", f"bob-{unique}"
    session = challenge(api, alice)["session"]
    invite(api, bob)
    bob_temporary = api.temporary_password("acme", bob)

    stolen = respond(api, bob, session, name="Mallory")
    assert (stolen["__typename"], stolen["code"], stolen["field"]) == (
        "RegistrationError",
        "INVALID_SESSION",
        "session",
    )
    other_tenant = respond(api, alice, session, tenant="shop", name="Alice")
    assert other_tenant["code"] == "INVALID_SESSION"
    tampered = respond(api, alice, session[:-4] + "AAAA", name="Alice")
    assert tampered["code"] == "INVALID_SESSION"
    # Bob is untouched: his invitation still leads to his own challenge.
    assert sign_in(api, bob, bob_temporary, tenant="acme")["__typename"] == "NewPasswordRequired"


def test_invite_needs_this_tenants_api_key(api: Api, unique: str) -> None:
    for token in (None, "not-a-key", SHOP_KEY):
        username = f"nokey-{unique}-{len(token or '')}"
        result = invite(api, username, token=token)
        assert (result["__typename"], result["code"]) == ("RegistrationError", "NOT_AUTHORIZED")
        assert api.outbox("acme", username) == []
    malformed = api.gql(
        INVITE_USER,
        {"input": {"tenant": "acme", "username": f"x-{unique}", "attributes": []}},
        token=None,
    )
    assert malformed["data"]["inviteUser"]["code"] == "NOT_AUTHORIZED"


def test_invite_is_decided_by_the_policy_first(api: Api, unique: str) -> None:
    username = f"bad-{unique}"
    result = invite(api, username, email="someone@evil.example", custom_employee_id="E12", nickname="x")
    assert result["__typename"] == "PolicyDenied"
    assert codes(result) == {
        ("EMAIL_DOMAIN_NOT_ALLOWED", "email"),
        ("PATTERN_MISMATCH", "custom:employee_id"),
        ("UNKNOWN_ATTRIBUTE", "nickname"),
    }
    missing = invite(api, username, email=f"{username}@acme.example")
    assert codes(missing) == {("REQUIRED_ATTRIBUTE_MISSING", "custom:employee_id")}
    assert api.outbox("acme", username) == []


def test_inviting_an_existing_user_says_so_on_the_admin_path(api: Api, unique: str) -> None:
    username = f"twice-{unique}"
    assert invite(api, username)["__typename"] == "InviteUserSuccess"
    again = invite(api, username)
    assert (again["__typename"], again["code"], again["field"]) == ("RegistrationError", "USERNAME_EXISTS", "username")


def test_unknown_tenant(api: Api) -> None:
    result = api.data(INVITE_USER, {"input": {"tenant": "nope", "username": "x", "attributes": []}}, token=ACME_KEY)
    assert (result["__typename"], result["code"], result["field"]) == (
        "RegistrationError",
        "TENANT_NOT_FOUND",
        "tenant",
    )
    signed = sign_in(api, "x", "whatever-password", tenant="nope")
    assert signed["code"] == "TENANT_NOT_FOUND"


def test_invitations_and_first_sign_in_refuse_look_alikes_and_control_characters(api: Api, unique: str) -> None:
    """Issue 9, findings 6 and 7, on the admin path: the same rules as a sign-up."""
    assert invite(api, f"vic-{unique}")["__typename"] == "InviteUserSuccess"
    for username in (f"v\u0456c-{unique}", f"v\u0131c-{unique}", f"vi\u0307c-{unique}"):
        result = invite(api, username, email=f"vic-{unique}@acme.example", custom_employee_id="E123456")
        assert codes(result) == {("USERNAME_INVALID", None)}, repr(username)
    username = f"eve-{unique}"
    forged = invite(api, username, email=f"{username}@acme.example", custom_employee_id="E123456\n")
    assert codes(forged) == {("INVALID_CHARACTER", "custom:employee_id"), ("PATTERN_MISMATCH", "custom:employee_id")}
    result = challenge(api, username)
    denied = respond(api, username, result["session"], name="Eve\nEvil")
    assert codes(denied) == {("INVALID_CHARACTER", "name")}
    blank = respond(api, username, result["session"], name="  ")
    assert codes(blank) == {("REQUIRED_ATTRIBUTE_MISSING", "name")}
    assert respond(api, username, result["session"], name="Eve")["__typename"] == "SignInSuccess"
