"""The NEW_PASSWORD_REQUIRED challenge, user and admin variants."""

from __future__ import annotations

import json

from tests.helpers.conformance import Cognito, Pool, later, refused


def challenged(pool: Pool, username: str) -> dict[str, str]:
    pool.invite(username)
    result = pool.auth(username, pool.temporary_password(username))
    assert result["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    return result  # type: ignore[no-any-return]


def test_challenge_parameters(cognito: Cognito) -> None:
    """API Reference, InitiateAuth: NEW_PASSWORD_REQUIRED carries requiredAttributes and userAttributes."""
    pool = cognito.pool(
        admin_only=True,
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": True},
            {"Name": "name", "AttributeDataType": "String", "Mutable": True, "Required": True},
        ],
    )
    pool.invite("params")
    result = pool.auth("params", pool.temporary_password("params"))
    parameters = result["ChallengeParameters"]
    assert json.loads(parameters["requiredAttributes"]) == ["userAttributes.name"]
    assert json.loads(parameters["userAttributes"])["email"] == "params@example.com"
    assert parameters["USER_ID_FOR_SRP"] == "params"


def test_answer_applies_user_attributes(cognito: Cognito) -> None:
    """API Reference, RespondToAuthChallenge: userAttributes.<name> set the user's attributes."""
    pool = cognito.pool(admin_only=True)
    session = challenged(pool, "apply")["Session"]
    assert "AuthenticationResult" in pool.answer("apply", session, name="Ann")
    assert pool.attributes("apply")["name"] == "Ann"
    assert pool.user("apply")["UserStatus"] == "CONFIRMED"


def test_answer_refuses_provided_unknown_and_immutable_attributes(cognito: Cognito) -> None:
    """Developer Guide, admin-created users: already provided, unknown and immutable attributes are refused."""
    pool = cognito.pool(admin_only=True)
    session = challenged(pool, "refuse")["Session"]
    assert refused(pool.answer, "refuse", session, email="x@example.com") == (
        "InvalidParameterException",
        "Cannot modify an already provided email",
    )
    assert "Attribute does not exist in the schema" in refused(pool.answer, "refuse", session, custom_nope="1")[1]
    assert "immutable" in refused(pool.answer, "refuse", session, custom_badge="b")[1]


def test_session_is_bound_to_its_user(cognito: Cognito) -> None:
    """Developer Guide, user pool auth flow: a challenge session belongs to the user it was issued for."""
    pool = cognito.pool(admin_only=True)
    session = challenged(pool, "alice")["Session"]
    challenged(pool, "bob")
    assert refused(pool.answer, "bob", session) == ("NotAuthorizedException", "Invalid session for the user.")
    assert pool.user("bob")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_session_expires(cognito: Cognito) -> None:
    """API Reference, CreateUserPoolClient AuthSessionValidity: 3 minutes by default."""
    pool = cognito.pool(admin_only=True)
    session = challenged(pool, "slow")["Session"]
    later(cognito, minutes=3, seconds=1)
    assert refused(pool.answer, "slow", session) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_admin_variants(cognito: Cognito) -> None:
    """API Reference, AdminInitiateAuth and AdminRespondToAuthChallenge: the same challenge and rules."""
    pool = cognito.pool(admin_only=True)
    pool.invite("admin")
    result = pool.client.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "admin", "PASSWORD": pool.temporary_password("admin")},
    )
    assert "userAttributes" in result["ChallengeParameters"]
    pool.invite("other")
    assert (
        refused(
            pool.client.admin_respond_to_auth_challenge,
            UserPoolId=pool.id,
            ClientId=pool.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=result["Session"],
            ChallengeResponses={"USERNAME": "other", "NEW_PASSWORD": "N3w-Password!"},
        )[1]
        == "Invalid session for the user."
    )
