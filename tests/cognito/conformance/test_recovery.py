"""Password recovery: ForgotPassword, ConfirmForgotPassword and AdminResetUserPassword."""

from __future__ import annotations

from tests.helpers.conformance import PASSWORD, Cognito, later, refused

NEW_PASSWORD = "N3w-Passw0rd!x"


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_reset_code_sent_to_the_verified_address(cognito: Cognito) -> None:
    """API Reference, ForgotPassword: a code to the verified address AccountRecoverySetting picks, masked."""
    pool = cognito.pool()
    pool.member("ann")
    details = pool.client.forgot_password(ClientId=pool.client_id, Username="ann")["CodeDeliveryDetails"]
    assert details == {"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    (message,) = [m for m in cognito.outbox.messages(username="ann") if m.kind == "PASSWORD_RESET_CODE"]
    assert message.destination == "ann@example.com"
    assert message.code is not None
    assert len(message.code) == 6
    assert message.code.isdigit()


def test_reset_code_checked_and_spent(cognito: Cognito) -> None:
    """API Reference, ConfirmForgotPassword: CodeMismatchException for a wrong code (moto's own takes any
    code not starting with its `moto-confirmation-code:` prefix); the right one sets the password once."""
    pool = cognito.pool()
    tokens = pool.member("bob")
    pool.client.forgot_password(ClientId=pool.client_id, Username="bob")
    confirm = {"ClientId": pool.client_id, "Username": "bob", "Password": NEW_PASSWORD}
    # Asked before the code is read, so that on plain moto it is moto's acceptance that fails the test.
    assert refused(pool.client.confirm_forgot_password, ConfirmationCode="not-the-code", **confirm) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    code = pool.code("bob", "PASSWORD_RESET_CODE")
    assert refused(pool.client.confirm_forgot_password, ConfirmationCode=other_than(code), **confirm)[0] == (
        "CodeMismatchException"
    )
    pool.client.confirm_forgot_password(ConfirmationCode=code, **confirm)
    assert "AuthenticationResult" in pool.auth("bob", NEW_PASSWORD)
    assert refused(pool.auth, "bob", PASSWORD)[0] == "NotAuthorizedException"
    assert refused(pool.client.confirm_forgot_password, ConfirmationCode=code, **confirm)[0] == "ExpiredCodeException"
    # Cognito ends tokens only on sign-out: the session from before the reset goes on.
    assert pool.client.get_user(AccessToken=tokens["AccessToken"])["Username"] == "bob"


def test_reset_code_expires_after_an_hour(cognito: Cognito) -> None:
    """Developer Guide, managing users: the reset password code is valid for 1 hour."""
    pool = cognito.pool()
    pool.member("late")
    pool.client.forgot_password(ClientId=pool.client_id, Username="late")
    code = pool.code("late", "PASSWORD_RESET_CODE")
    later(cognito, hours=1, seconds=1)
    confirm = {"ClientId": pool.client_id, "Username": "late", "Password": NEW_PASSWORD, "ConfirmationCode": code}
    assert refused(pool.client.confirm_forgot_password, **confirm) == (
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )


def test_reset_code_guessing_is_attempt_limited(cognito: Cognito) -> None:
    """API Reference, ConfirmForgotPassword: LimitExceededException after too many wrong codes."""
    pool = cognito.pool()
    pool.member("guess")
    pool.client.forgot_password(ClientId=pool.client_id, Username="guess")
    code = pool.code("guess", "PASSWORD_RESET_CODE")
    confirm = {"ClientId": pool.client_id, "Username": "guess", "Password": NEW_PASSWORD}
    for _ in range(5):
        refused(pool.client.confirm_forgot_password, ConfirmationCode=other_than(code), **confirm)
    assert refused(pool.client.confirm_forgot_password, ConfirmationCode=code, **confirm)[0] == (
        "LimitExceededException"
    )


def test_existence_hidden_when_prevented(cognito: Cognito) -> None:
    """Developer Guide, managing error responses: with PreventUserExistenceErrors ENABLED, ForgotPassword
    simulates a delivery for an unknown or disabled user and one without a verified address, and
    ConfirmForgotPassword answers CodeMismatchException for unknown users, ExpiredCodeException when no
    code was requested."""
    pool = cognito.pool()
    pool.member("real")
    pool.member("off")
    pool.client.admin_disable_user(UserPoolId=pool.id, Username="off")
    pool.sign_up("unverified")
    for name in ("ghost", "off", "unverified", "real"):
        details = pool.client.forgot_password(ClientId=pool.client_id, Username=name)["CodeDeliveryDetails"]
        assert (details["DeliveryMedium"], details["AttributeName"]) == ("EMAIL", "email")
        assert "@" in details["Destination"]
        assert "example.com" not in details["Destination"]
    resets = {m.username for m in cognito.outbox.messages() if m.kind == "PASSWORD_RESET_CODE"}
    assert resets == {"real"}
    confirm = {"ClientId": pool.client_id, "Password": NEW_PASSWORD, "ConfirmationCode": "123456"}
    assert refused(pool.client.confirm_forgot_password, Username="ghost", **confirm)[0] == "CodeMismatchException"
    assert refused(pool.client.confirm_forgot_password, Username="off", **confirm)[0] == "CodeMismatchException"
    pool.member("never")
    assert refused(pool.client.confirm_forgot_password, Username="never", **confirm)[0] == "ExpiredCodeException"


def test_existence_errors_when_not_prevented(cognito: Cognito) -> None:
    """API Reference, ForgotPassword (LEGACY existence errors): UserNotFoundException, NotAuthorizedException
    for a disabled user, InvalidParameterException without a verified address; and an invited user, who
    has no password of their own yet, cannot reset one."""
    pool = cognito.pool(client={"PreventUserExistenceErrors": "LEGACY"})
    pool.member("off")
    pool.client.admin_disable_user(UserPoolId=pool.id, Username="off")
    pool.sign_up("unverified")
    pool.invite("invited")
    forgot = pool.client.forgot_password
    assert refused(forgot, ClientId=pool.client_id, Username="ghost")[0] == "UserNotFoundException"
    assert refused(forgot, ClientId=pool.client_id, Username="off") == ("NotAuthorizedException", "User is disabled.")
    assert refused(forgot, ClientId=pool.client_id, Username="unverified") == (
        "InvalidParameterException",
        "Cannot reset password for the user as there is no registered/verified email or phone_number",
    )
    assert refused(forgot, ClientId=pool.client_id, Username="invited") == (
        "NotAuthorizedException",
        "User password cannot be reset in the current state.",
    )


def test_secret_hash_required(cognito: Cognito) -> None:
    """API Reference, ForgotPassword: without SECRET_HASH for a client with a secret, NotAuthorizedException."""
    pool = cognito.pool(secret=True)
    pool.member("s")
    assert refused(pool.client.forgot_password, ClientId=pool.client_id, Username="s")[1].endswith(
        "is configured for secret but secret was not received"
    )
    pool.client.forgot_password(ClientId=pool.client_id, Username="s", **pool.hashed("s"))
    confirm = {"ClientId": pool.client_id, "Username": "s", "Password": NEW_PASSWORD, "ConfirmationCode": "1"}
    assert refused(pool.client.confirm_forgot_password, **confirm)[1].endswith(
        "is configured for secret but secret was not received"
    )


def test_admin_reset_requires_the_reset(cognito: Cognito) -> None:
    """API Reference, AdminResetUserPassword: RESET_REQUIRED and a reset code sent; sign-in and the user's
    token calls answer PasswordResetRequiredException until ConfirmForgotPassword."""
    pool = cognito.pool()
    tokens = pool.member("reset")
    pool.client.admin_reset_user_password(UserPoolId=pool.id, Username="reset")
    assert pool.user("reset")["UserStatus"] == "RESET_REQUIRED"
    assert refused(pool.auth, "reset", PASSWORD)[0] == "PasswordResetRequiredException"
    assert refused(pool.client.get_user, AccessToken=tokens["AccessToken"])[0] == "PasswordResetRequiredException"
    code = pool.code("reset", "PASSWORD_RESET_CODE")
    pool.client.confirm_forgot_password(
        ClientId=pool.client_id, Username="reset", Password=NEW_PASSWORD, ConfirmationCode=code
    )
    assert pool.user("reset")["UserStatus"] == "CONFIRMED"
    assert "AuthenticationResult" in pool.auth("reset", NEW_PASSWORD)
