"""Usernames: case sensitivity, e-mail as username, duplicates, and hiding whether a user exists."""

from __future__ import annotations

from tests.helpers.conformance import PASSWORD, Cognito, refused


def test_case_insensitive_usernames(cognito: Cognito) -> None:
    """API Reference, UsernameConfigurationType: CaseSensitive=False matches usernames in any case."""
    pool = cognito.pool(UsernameConfiguration={"CaseSensitive": False})
    pool.sign_up("Alice")
    pool.confirm("alice", pool.code("Alice"))
    assert "AuthenticationResult" in pool.auth("ALICE", PASSWORD)
    assert refused(pool.sign_up, "aLiCe") == ("UsernameExistsException", "User already exists")


def test_email_as_username(cognito: Cognito) -> None:
    """Developer Guide, username attributes: with UsernameAttributes=[email] the address signs in."""
    pool = cognito.pool(UsernameAttributes=["email"], UsernameConfiguration={"CaseSensitive": False})
    pool.client.sign_up(
        ClientId=pool.client_id,
        Username="Bob@Example.com",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "Bob@Example.com"}],
    )
    code = [m.code for m in cognito.outbox.messages() if m.destination == "Bob@Example.com"][-1]
    assert code is not None
    pool.client.confirm_sign_up(ClientId=pool.client_id, Username="bob@example.com", ConfirmationCode=code)
    assert "AuthenticationResult" in pool.auth("bob@example.com", PASSWORD)
    assert refused(
        pool.client.sign_up,
        ClientId=pool.client_id,
        Username="bob@example.com",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}],
    ) == ("UsernameExistsException", "An account with the given email already exists.")


def test_username_exists_messages(cognito: Cognito) -> None:
    """API Reference, SignUp and AdminCreateUser: UsernameExistsException with Cognito's wording."""
    pool = cognito.pool()
    pool.sign_up("taken")
    assert refused(pool.sign_up, "taken") == ("UsernameExistsException", "User already exists")
    assert refused(pool.invite, "taken") == ("UsernameExistsException", "User account already exists")


def test_prevent_user_existence_errors(cognito: Cognito) -> None:
    """Developer Guide, managing user existence error responses: ENABLED hides unknown users."""
    pool = cognito.pool()
    assert refused(pool.auth, "ghost", PASSWORD) == ("NotAuthorizedException", "Incorrect username or password.")
    assert refused(pool.confirm, "ghost", "123456")[0] == "CodeMismatchException"
    details = pool.client.resend_confirmation_code(ClientId=pool.client_id, Username="ghost")["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
