"""SECRET_HASH on public calls, and the password policy on every path that sets a password."""

from __future__ import annotations

from tests.helpers.conformance import PASSWORD, Cognito, refused


def test_secret_hash_required_and_verified(cognito: Cognito) -> None:
    """Developer Guide, computing secret hash values: required on every public call of a secret client."""
    pool = cognito.pool(secret=True)
    base = {
        "ClientId": pool.client_id,
        "Username": "s",
        "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "s@example.com"}],
    }
    assert refused(pool.client.sign_up, **base)[1].endswith("is configured for secret but secret was not received")
    assert refused(pool.client.sign_up, SecretHash="bogus", **base)[1].startswith("Unable to verify secret hash")
    pool.sign_up("s")  # with the right hash
    code = pool.code("s")
    assert refused(pool.client.confirm_sign_up, ClientId=pool.client_id, Username="s", ConfirmationCode=code)[0] == (
        "NotAuthorizedException"
    )
    assert (
        refused(
            pool.client.initiate_auth,
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "s", "PASSWORD": PASSWORD, "SECRET_HASH": "bogus"},
        )[0]
        == "NotAuthorizedException"
    )


def test_password_policy_on_every_path(cognito: Cognito) -> None:
    """API Reference, PasswordPolicyType: SignUp, AdminSetUserPassword, the challenge and ConfirmForgotPassword."""
    pool = cognito.pool()
    assert refused(pool.sign_up, "short", password="Sh0rt!") == (
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )
    assert refused(pool.sign_up, "nosymbol", password="NoSymbol123")[1] == (
        "Password did not conform with policy: Password must have symbol characters"
    )
    pool.invite("admin")
    assert (
        refused(
            pool.client.admin_set_user_password, UserPoolId=pool.id, Username="admin", Password="weak", Permanent=True
        )[0]
        == "InvalidPasswordException"
    )
    session = pool.auth("admin", pool.temporary_password("admin"))["Session"]
    assert refused(pool.answer, "admin", session, password="alllowercase")[1] == (
        "Password did not conform with policy: Password must have uppercase characters"
    )
    pool.answer("admin", session)
    pool.client.forgot_password(ClientId=pool.client_id, Username="admin")
    assert (
        refused(
            pool.client.confirm_forgot_password,
            ClientId=pool.client_id,
            Username="admin",
            ConfirmationCode="000000",
            Password="weak",
        )[0]
        == "InvalidPasswordException"
    )


def test_long_passwords_are_accepted(cognito: Cognito) -> None:
    """API Reference, SignUp Password: up to 256 characters."""
    pool = cognito.pool()
    assert pool.sign_up("long", password="Aa1!" * 30)["UserConfirmed"] is False


def test_secret_hash_of_a_non_ascii_username(cognito: Cognito) -> None:
    """Developer Guide, computing secret hash values: HMAC-SHA256 over the UTF-8 bytes of username + client id."""
    pool = cognito.pool(secret=True)
    name = "жюрген»ø"
    assert pool.sign_up(name)["UserConfirmed"] is False
    pool.confirm(name, pool.code(name))
    assert "AuthenticationResult" in pool.auth(name, PASSWORD)
