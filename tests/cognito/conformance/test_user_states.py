"""Which user states each call accepts: invited, disabled, reset and deleted users."""

from __future__ import annotations

from tests.helpers.conformance import PASSWORD, Cognito, refused

TEMPORARY = "Given-Passw0rd!"


def test_an_invited_user_cannot_confirm_or_get_a_code(cognito: Cognito) -> None:
    """API Reference, ConfirmSignUp and ResendConfirmationCode: for users who signed up (UNCONFIRMED)."""
    pool = cognito.pool()
    pool.invite("invited", MessageAction="SUPPRESS", TemporaryPassword=TEMPORARY)
    assert refused(pool.confirm, "invited", "123456") == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD",
    )
    assert refused(pool.client.resend_confirmation_code, ClientId=pool.client_id, Username="invited")[0] == (
        "InvalidParameterException"
    )
    assert pool.user("invited")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_a_disabled_user_cannot_answer_the_challenge(cognito: Cognito) -> None:
    """API Reference, AdminDisableUser: a disabled user cannot sign in, challenge or not."""
    pool = cognito.pool(admin_only=True)
    pool.invite("off", MessageAction="SUPPRESS", TemporaryPassword=TEMPORARY)
    session = pool.auth("off", TEMPORARY)["Session"]
    pool.client.admin_disable_user(UserPoolId=pool.id, Username="off")
    assert refused(pool.answer, "off", session) == ("NotAuthorizedException", "User is disabled.")


def test_a_reset_password_must_be_reset_before_signing_in(cognito: Cognito) -> None:
    """API Reference, AdminResetUserPassword and InitiateAuth: PasswordResetRequiredException."""
    pool = cognito.pool()
    pool.sign_up("reset")
    pool.confirm("reset", pool.code("reset"))
    pool.client.admin_reset_user_password(UserPoolId=pool.id, Username="reset")
    assert refused(pool.auth, "reset", PASSWORD)[0] == "PasswordResetRequiredException"


def test_update_user_pool_keeps_what_cannot_change(cognito: Cognito) -> None:
    """API Reference, UpdateUserPool: username attributes and case sensitivity are set at creation only."""
    pool = cognito.pool(UsernameConfiguration={"CaseSensitive": False})
    pool.client.update_user_pool(UserPoolId=pool.id, AutoVerifiedAttributes=["email"])
    described = pool.client.describe_user_pool(UserPoolId=pool.id)["UserPool"]
    assert described["UsernameConfiguration"] == {"CaseSensitive": False}


def test_a_deleted_user_leaves_no_lock_behind(cognito: Cognito) -> None:
    """API Reference, AdminDeleteUser: a new user of the same name is a new user."""
    pool = cognito.pool()
    pool.sign_up("again")
    code = pool.code("again")
    for _ in range(5):
        refused(pool.confirm, "again", f"{(int(code) + 1) % 1_000_000:06d}")
    pool.client.admin_delete_user(UserPoolId=pool.id, Username="again")
    pool.sign_up("again")
    pool.confirm("again", pool.code("again"))
    assert pool.user("again")["UserStatus"] == "CONFIRMED"
