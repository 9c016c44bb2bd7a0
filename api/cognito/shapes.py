"""Cognito's request and answer shapes in the port's terms: no boto3, so anything may use them.

Attribute lists, user records, delivery details, authentication answers, SECRET_HASH, and the throw-away
password of a user created for approval.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from api.cognito.port import (
    AuthResult,
    CodeDeliveryDetails,
    NewPasswordChallenge,
    ProviderError,
    ProviderErrorCode,
    Tokens,
    UserRecord,
)

log = logging.getLogger("regapi.cognito")


def undisclosed_password() -> str:
    """A throw-away password no one learns, meeting any Cognito password policy (256 characters at most)."""
    alphabet = string.ascii_letters + string.digits
    return "Aa1!" + "".join(secrets.choice(alphabet) for _ in range(60))


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in attributes.items()]


def timestamp(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.now(UTC)


def user_record(user: Mapping[str, Any], attributes_key: str) -> UserRecord:
    return UserRecord(
        username=user["Username"],
        status=user.get("UserStatus", ""),
        attributes={a["Name"]: a["Value"] for a in user.get(attributes_key, [])},
        created_at=timestamp(user.get("UserCreateDate")),
        modified_at=timestamp(user.get("UserLastModifiedDate")),
        enabled=bool(user.get("Enabled", True)),
    )


def unfinished(user: UserRecord | None, attributes: Mapping[str, str]) -> bool:
    """A user an earlier create_disabled_user left half made: its undisclosed temporary password still set,
    and every attribute it was created with. (The use cases' origin stamp, among those attributes, keeps
    an invited user, also FORCE_CHANGE_PASSWORD, from ever matching.)"""
    return (
        user is not None
        and user.status == "FORCE_CHANGE_PASSWORD"
        and all(user.attributes.get(name) == value for name, value in attributes.items())
    )


def delivery(details: Mapping[str, str] | None) -> CodeDeliveryDetails | None:
    if not details:
        return None
    return CodeDeliveryDetails(
        medium=details.get("DeliveryMedium", "EMAIL"),
        destination=details.get("Destination", ""),
    )


def auth_result(result: Mapping[str, Any]) -> AuthResult:
    if "AuthenticationResult" in result:
        auth = result["AuthenticationResult"]
        return Tokens(
            id_token=auth["IdToken"],
            access_token=auth["AccessToken"],
            refresh_token=auth.get("RefreshToken"),
            expires_in=int(auth.get("ExpiresIn", 3600)),
            token_type=auth.get("TokenType", "Bearer"),
        )
    challenge = result.get("ChallengeName")
    if challenge == "NEW_PASSWORD_REQUIRED":
        params = result.get("ChallengeParameters", {})
        required = json.loads(params.get("requiredAttributes") or "[]")
        return NewPasswordChallenge(
            session=result["Session"],
            required_attributes=tuple(name.removeprefix("userAttributes.") for name in required),
            user_attributes=json.loads(params.get("userAttributes") or "{}"),
        )
    # MFA and custom challenges are not part of regapi's flows yet: refuse loudly, never pass them on.
    log.error("cognito answered with an unsupported challenge: %s", challenge)
    raise ProviderError(ProviderErrorCode.UNEXPECTED)
