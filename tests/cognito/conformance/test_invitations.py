"""AdminCreateUser: temporary passwords, their delivery and validity, RESEND."""

from __future__ import annotations

import string

from tests.helpers.conformance import POLICY, Cognito, later, refused


def test_temporary_password_generated_to_the_policy_and_delivered(cognito: Cognito) -> None:
    """API Reference, AdminCreateUser: without TemporaryPassword, Cognito generates one and sends it."""
    pool = cognito.pool(admin_only=True)
    pool.invite("gen")
    password = pool.temporary_password("gen")
    assert len(password) >= POLICY["MinimumLength"]
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        assert any(c in alphabet for c in password)
    assert any(not c.isalnum() for c in password)
    assert pool.auth("gen", password)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_delivery_follows_message_action(cognito: Cognito) -> None:
    """API Reference, AdminCreateUser MessageAction: sent by default, not sent with SUPPRESS."""
    pool = cognito.pool(admin_only=True)
    pool.invite("loud", TemporaryPassword="Given-Passw0rd!")
    (message,) = cognito.outbox.messages(username="loud")
    assert (message.kind, message.destination) == ("INVITATION", "loud@example.com")
    pool.invite("quiet", MessageAction="SUPPRESS", TemporaryPassword="Given-Passw0rd!")
    assert cognito.outbox.messages(username="quiet") == []
    assert pool.auth("quiet", "Given-Passw0rd!")["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_given_temporary_password_is_checked(cognito: Cognito) -> None:
    """API Reference, AdminCreateUser TemporaryPassword: it must conform to the pool's password policy."""
    pool = cognito.pool(admin_only=True)
    assert refused(pool.invite, "weak", TemporaryPassword="weak") == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )


def test_temporary_password_expires(cognito: Cognito) -> None:
    """Developer Guide, creating users as an administrator: TemporaryPasswordValidityDays."""
    pool = cognito.pool(admin_only=True)
    pool.invite("late")
    password = pool.temporary_password("late")
    later(cognito, days=2, seconds=1)
    assert refused(pool.auth, "late", password) == (
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )


def test_resend_keeps_the_user(cognito: Cognito) -> None:
    """API Reference, AdminCreateUser MessageAction=RESEND: same user, new password, fresh validity."""
    pool = cognito.pool(admin_only=True)
    sub = {a["Name"]: a["Value"] for a in pool.invite("again")["Attributes"]}["sub"]
    pool.client.create_group(UserPoolId=pool.id, GroupName="staff")
    pool.client.admin_add_user_to_group(UserPoolId=pool.id, Username="again", GroupName="staff")
    first = pool.temporary_password("again")
    later(cognito, days=3)
    pool.invite("again", MessageAction="RESEND")
    second = pool.temporary_password("again")
    assert second != first
    assert pool.attributes("again")["sub"] == sub
    groups = pool.client.admin_list_groups_for_user(UserPoolId=pool.id, Username="again")["Groups"]
    assert [g["GroupName"] for g in groups] == ["staff"]
    assert pool.auth("again", second)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert refused(pool.auth, "again", first)[0] == "NotAuthorizedException"
