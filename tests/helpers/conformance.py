"""The pools and calls of the Cognito conformance suite (tests/cognito/conformance), on boto3 directly.

Its `cognito` fixture (tests/cognito/conformance/conftest.py) hands out a `Cognito`: the embedded one,
or, with REGAPI_CONFORMANCE_PLAIN_MOTO=1, plain moto.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from api.clock import ManualClock
from api.cognito.adapter import secret_hash
from api.cognito.embedded.outbox import Outbox

POLICY = {
    "MinimumLength": 10,
    "RequireLowercase": True,
    "RequireUppercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 2,
}
PASSWORD = "Passw0rd!xyz"
SCHEMA = [
    {"Name": "email", "AttributeDataType": "String", "Mutable": True, "Required": True},
    {"Name": "name", "AttributeDataType": "String", "Mutable": True},
    {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
    {"Name": "code", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "5"}},
    {"Name": "age", "AttributeDataType": "Number"},
]


@dataclass
class Cognito:
    client: Any
    outbox: Outbox
    clock: ManualClock
    attach: Any = field(default=lambda pool_id: None)

    def pool(self, *, admin_only: bool = False, secret: bool = False, **extra: Any) -> Pool:
        return Pool(self, admin_only=admin_only, secret=secret, **extra)


class Pool:
    def __init__(self, cognito: Cognito, *, admin_only: bool, secret: bool, client: Any = None, **extra: Any) -> None:
        self.cognito = cognito
        self.client = cognito.client
        params: dict[str, Any] = {
            "PoolName": "conformance",
            "Policies": {"PasswordPolicy": POLICY},
            "AutoVerifiedAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": admin_only},
            "Schema": SCHEMA,
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        }
        params.update(extra)
        self.id: str = self.client.create_user_pool(**params)["UserPool"]["Id"]
        cognito.attach(self.id)
        settings: dict[str, Any] = {
            "PreventUserExistenceErrors": "ENABLED",
            "ExplicitAuthFlows": [
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ],
            **(client or {}),
        }
        app_client = self.client.create_user_pool_client(
            UserPoolId=self.id, ClientName="app", GenerateSecret=secret, **settings
        )["UserPoolClient"]
        self.client_id: str = app_client["ClientId"]
        self.secret: str | None = app_client.get("ClientSecret")

    def hashed(self, username: str) -> dict[str, str]:
        return {"SecretHash": secret_hash(self.secret, username, self.client_id)} if self.secret else {}

    def sign_up(self, username: str, password: str = PASSWORD, **attributes: str) -> dict[str, Any]:
        values = {"email": f"{username}@example.com", **attributes}
        result: dict[str, Any] = self.client.sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": k.replace("custom_", "custom:"), "Value": v} for k, v in values.items()],
            **self.hashed(username),
        )
        return result

    def code(self, username: str, kind: str | None = None) -> str:
        """The last code delivered to the user (of this outbox kind, when given)."""
        sent = self.cognito.outbox.messages(username=username)
        codes = [m.code for m in sent if m.code and kind in (None, m.kind)]
        assert codes, f"no code was delivered to {username}"
        return codes[-1]

    def member(self, username: str, password: str = PASSWORD, **attributes: str) -> dict[str, Any]:
        """A user who signed up, was confirmed with a verified address, and signed in: the
        AuthenticationResult. Confirmed by the administrator calls, not the code, so that on plain moto
        (which delivers no code) a test gets as far as the rule it checks."""
        self.sign_up(username, password, **attributes)
        self.client.admin_confirm_sign_up(UserPoolId=self.id, Username=username)
        verified = [{"Name": "email_verified", "Value": "true"}]
        self.client.admin_update_user_attributes(UserPoolId=self.id, Username=username, UserAttributes=verified)
        tokens: dict[str, Any] = self.auth(username, password)["AuthenticationResult"]
        return tokens

    def refresh(self, username: str, refresh_token: str, client_id: str | None = None) -> dict[str, Any]:
        params = {"REFRESH_TOKEN": refresh_token}
        if self.secret:
            params["SECRET_HASH"] = secret_hash(self.secret, username, self.client_id)
        result: dict[str, Any] = self.client.initiate_auth(
            ClientId=client_id or self.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params
        )
        return result

    def confirm(self, username: str, code: str) -> None:
        self.client.confirm_sign_up(
            ClientId=self.client_id, Username=username, ConfirmationCode=code, **self.hashed(username)
        )

    def invite(self, username: str, **extra: Any) -> dict[str, Any]:
        user: dict[str, Any] = self.client.admin_create_user(
            UserPoolId=self.id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
            **extra,
        )["User"]
        return user

    def temporary_password(self, username: str) -> str:
        sent = [m.temporary_password for m in self.cognito.outbox.messages(username=username) if m.temporary_password]
        assert sent, f"no temporary password was delivered to {username}"
        return sent[-1]

    def auth(self, username: str, password: str) -> dict[str, Any]:
        params = {"USERNAME": username, "PASSWORD": password}
        if self.secret:
            params["SECRET_HASH"] = secret_hash(self.secret, username, self.client_id)
        result: dict[str, Any] = self.client.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )
        return result

    def answer(self, username: str, session: str, password: str = "N3w-Password!", **attributes: str) -> dict[str, Any]:
        responses = {"USERNAME": username, "NEW_PASSWORD": password}
        if self.secret:
            responses["SECRET_HASH"] = secret_hash(self.secret, username, self.client_id)
        responses.update({f"userAttributes.{k.replace('custom_', 'custom:')}": v for k, v in attributes.items()})
        result: dict[str, Any] = self.client.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses=responses,
        )
        return result

    def user(self, username: str) -> dict[str, Any]:
        user: dict[str, Any] = self.client.admin_get_user(UserPoolId=self.id, Username=username)
        return user

    def attributes(self, username: str) -> dict[str, str]:
        return {a["Name"]: a["Value"] for a in self.user(username)["UserAttributes"]}


def refused(call: Any, *args: Any, **params: Any) -> tuple[str, str]:
    """Cognito's (error code, message) for a call that must fail."""
    with pytest.raises(ClientError) as caught:
        call(*args, **params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def later(cognito: Cognito, **delta: float) -> None:
    cognito.clock.advance(timedelta(**delta))
