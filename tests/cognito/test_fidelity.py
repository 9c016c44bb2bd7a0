"""The embedded Cognito through plain boto3: the rules moto leaves out, as Cognito documents them."""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from api.clock import ManualClock
from api.cognito.adapter import secret_hash
from api.cognito.embedded import EmbeddedCognito
from api.cognito.embedded.outbox import Outbox

POLICY = {
    "MinimumLength": 10,
    "RequireLowercase": True,
    "RequireUppercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 2,
}


class Pool:
    def __init__(self, cognito: EmbeddedCognito, *, admin_only: bool, secret: bool = False) -> None:
        self.cognito = cognito
        self.client = cognito.client
        self.id = self.client.create_user_pool(
            PoolName="fidelity",
            Policies={"PasswordPolicy": POLICY},
            AutoVerifiedAttributes=["email"],
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": admin_only},
            Schema=[
                {"Name": "email", "AttributeDataType": "String", "Mutable": True},
                {"Name": "name", "AttributeDataType": "String", "Mutable": True},
                {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            ],
        )["UserPool"]["Id"]
        cognito.attach(self.id)
        app_client = self.client.create_user_pool_client(
            UserPoolId=self.id, ClientName="c", GenerateSecret=secret, PreventUserExistenceErrors="ENABLED"
        )["UserPoolClient"]
        self.client_id: str = app_client["ClientId"]
        self.secret: str | None = app_client.get("ClientSecret")

    def invite(self, username: str, **extra: Any) -> dict[str, Any]:
        user: dict[str, Any] = self.client.admin_create_user(
            UserPoolId=self.id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
            **extra,
        )["User"]
        return user

    def temporary_password(self, username: str) -> str:
        messages = self.cognito.outbox.messages(username=username)
        assert messages
        assert messages[-1].temporary_password
        return messages[-1].temporary_password

    def auth(self, username: str, password: str) -> dict[str, Any]:
        params = {"USERNAME": username, "PASSWORD": password}
        if self.secret:
            params["SECRET_HASH"] = secret_hash(self.secret, username, self.client_id)
        result: dict[str, Any] = self.client.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )
        return result


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cognito(clock: ManualClock) -> EmbeddedCognito:
    return EmbeddedCognito(clock=clock, outbox=Outbox(console=None))


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_sign_up_is_refused_on_an_admin_only_pool(cognito: EmbeddedCognito) -> None:
    """AllowAdminCreateUserOnly: SignUp -> NotAuthorizedException (Cognito API reference, SignUp)."""
    pool = Pool(cognito, admin_only=True)
    assert error_of(pool.client.sign_up, ClientId=pool.client_id, Username="u", Password="Passw0rd!x") == (
        "NotAuthorizedException",
        "SignUp is not permitted for this user pool",
    )


def test_temporary_password_is_generated_to_the_pool_policy_and_delivered(cognito: EmbeddedCognito) -> None:
    """AdminCreateUser without TemporaryPassword: Cognito generates one and sends the invitation."""
    pool = Pool(cognito, admin_only=True)
    pool.invite("gen")
    password = pool.temporary_password("gen")
    assert len(password) >= POLICY["MinimumLength"]
    for alphabet in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        assert any(c in alphabet for c in password)
    assert any(not c.isalnum() for c in password)
    pool.invite("quiet", MessageAction="SUPPRESS")
    assert cognito.outbox.messages(username="quiet") == []
    code, _ = error_of(pool.invite, username="weak", TemporaryPassword="weak")
    assert code == "InvalidPasswordException"


def test_resend_keeps_the_user_and_issues_a_new_password(cognito: EmbeddedCognito, clock: ManualClock) -> None:
    """MessageAction=RESEND: same user (sub, attributes), new temporary password, fresh validity."""
    pool = Pool(cognito, admin_only=True)
    sub = {a["Name"]: a["Value"] for a in pool.invite("again")["Attributes"]}["sub"]
    first = pool.temporary_password("again")
    clock.advance(timedelta(days=3))
    assert error_of(pool.auth, username="again", password=first)[1].startswith("Temporary password has expired")
    resent = pool.invite("again", MessageAction="RESEND")
    second = pool.temporary_password("again")
    assert {a["Name"]: a["Value"] for a in resent["Attributes"]}["sub"] == sub
    assert pool.auth("again", second)["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert first != second
    assert error_of(pool.auth, username="again", password=first)[0] == "NotAuthorizedException"


def test_challenge_carries_attributes_and_its_session_expires(cognito: EmbeddedCognito, clock: ManualClock) -> None:
    """NEW_PASSWORD_REQUIRED: requiredAttributes and userAttributes; sessions last AuthSessionValidity (3 min)."""
    pool = Pool(cognito, admin_only=True)
    pool.invite("slow")
    challenge = pool.auth("slow", pool.temporary_password("slow"))
    parameters = challenge["ChallengeParameters"]
    assert parameters["requiredAttributes"] == "[]"
    assert '"email": "slow@example.com"' in parameters["userAttributes"]
    clock.advance(timedelta(minutes=4))
    code, message = error_of(
        pool.client.respond_to_auth_challenge,
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "slow", "NEW_PASSWORD": "N3w-Password!"},
    )
    assert (code, message) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_challenge_answer_rules(cognito: EmbeddedCognito) -> None:
    """userAttributes.* are applied; unknown, immutable and already provided attributes are refused."""
    pool = Pool(cognito, admin_only=True)
    pool.invite("ans")
    session = pool.auth("ans", pool.temporary_password("ans"))["Session"]

    def answer(**attributes: str) -> Any:
        responses = {"USERNAME": "ans", "NEW_PASSWORD": "N3w-Password!"}
        responses.update({f"userAttributes.{k.replace('custom_', 'custom:')}": v for k, v in attributes.items()})
        return pool.client.respond_to_auth_challenge(
            ClientId=pool.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses=responses,
        )

    assert error_of(answer, email="x@example.com") == (
        "InvalidParameterException",
        "Cannot modify an already provided email",
    )
    assert "does not exist in the schema" in error_of(answer, nickname_x="y")[1]
    assert "immutable" in error_of(answer, custom_badge="b")[1]
    assert "AuthenticationResult" in answer(name="Ann")
    user = pool.client.admin_get_user(UserPoolId=pool.id, Username="ans")
    assert {"Name": "name", "Value": "Ann"} in user["UserAttributes"]
    assert user["UserStatus"] == "CONFIRMED"


def test_secret_hash_is_required_for_a_secret_client(cognito: EmbeddedCognito) -> None:
    """Clients with a secret need SECRET_HASH on every public call (Cognito developer guide, secret hash)."""
    pool = Pool(cognito, admin_only=False, secret=True)
    call = pool.client.sign_up
    base = {
        "ClientId": pool.client_id,
        "Username": "s",
        "Password": "Passw0rd!xyz",
        "UserAttributes": [{"Name": "email", "Value": "s@example.com"}],
    }
    assert error_of(call, **base)[1].endswith("is configured for secret but secret was not received")
    assert error_of(call, SecretHash="bogus", **base)[1].startswith("Unable to verify secret hash")
    assert pool.secret is not None
    assert call(SecretHash=secret_hash(pool.secret, "s", pool.client_id), **base)["UserConfirmed"] is False


def test_confirmation_sets_email_verified(cognito: EmbeddedCognito) -> None:
    """ConfirmSignUp with the delivered code confirms the user and verifies the address."""
    pool = Pool(cognito, admin_only=False)
    pool.client.sign_up(
        ClientId=pool.client_id,
        Username="v",
        Password="Passw0rd!xyz",
        UserAttributes=[{"Name": "email", "Value": "v@example.com"}],
    )
    (message,) = cognito.outbox.messages(username="v")
    assert message.code is not None
    pool.client.confirm_sign_up(ClientId=pool.client_id, Username="v", ConfirmationCode=message.code)
    user = pool.client.admin_get_user(UserPoolId=pool.id, Username="v")
    assert {"Name": "email_verified", "Value": "true"} in user["UserAttributes"]
