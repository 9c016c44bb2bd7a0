"""The one boto3 user: IdentityProvider over a cognito-idp client, for every backend.

Real Cognito, the embedded Cognito and any Cognito-compatible endpoint differ only in the client
passed in, so the code that production runs is the code the tests run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import secrets
import string
import time
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from api.cognito.errors import translate
from api.cognito.port import (
    AuthResult,
    CodeDeliveryDetails,
    CreatedUser,
    NewPasswordChallenge,
    PoolBinding,
    ProviderError,
    ProviderErrorCode,
    SignUpResult,
    Tokens,
    UserRecord,
)

log = logging.getLogger("regapi.cognito")

# Boto calls run in worker threads; the pool must allow as many connections as threads may call at once.
MAX_CONNECTIONS = 40


def create_client(region: str, endpoint_url: str | None = None) -> Any:
    """The process's one cognito-idp client: creating one costs tens of milliseconds, and it is thread-safe."""
    # botocore logs whole request and response bodies at DEBUG: passwords, codes and tokens. Turning on
    # debug logging for regapi must never turn that on.
    for name in ("botocore", "boto3"):
        library_log = logging.getLogger(name)
        library_log.setLevel(max(library_log.getEffectiveLevel(), logging.INFO))
    config = Config(max_pool_connections=MAX_CONNECTIONS, retries={"mode": "standard", "max_attempts": 3})
    return boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint_url, config=config)


def describe_pool(client: Any, pool_id: str, client_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """DescribeUserPool and DescribeUserPoolClient, for tools that compare a pool with a policy."""
    try:
        pool = client.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        app = client.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except ClientError as exc:
        raise translate(exc) from None
    except BotoCoreError:
        raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
    return pool, app


def _undisclosed_password() -> str:
    """A throw-away password no one learns, meeting any Cognito password policy (256 characters at most)."""
    alphabet = string.ascii_letters + string.digits
    return "Aa1!" + "".join(secrets.choice(alphabet) for _ in range(60))


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _attribute_list(attributes: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in attributes.items()]


def _timestamp(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.now(UTC)


def _user_record(user: Mapping[str, Any], attributes_key: str) -> UserRecord:
    return UserRecord(
        username=user["Username"],
        status=user.get("UserStatus", ""),
        attributes={a["Name"]: a["Value"] for a in user.get(attributes_key, [])},
        created_at=_timestamp(user.get("UserCreateDate")),
        modified_at=_timestamp(user.get("UserLastModifiedDate")),
        enabled=bool(user.get("Enabled", True)),
    )


def _delivery(details: Mapping[str, str] | None) -> CodeDeliveryDetails | None:
    if not details:
        return None
    return CodeDeliveryDetails(
        medium=details.get("DeliveryMedium", "EMAIL"),
        destination=details.get("Destination", ""),
    )


class CognitoAdapter:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method = getattr(self._client, operation)
        try:
            # boto3 blocks; off the event loop, unrelated requests keep flowing while Cognito answers.
            result: dict[str, Any] = await anyio.to_thread.run_sync(functools.partial(method, **params))
        except ClientError as exc:
            error = translate(exc)
            log.info("cognito %s refused: %s", operation, error.code.value)
            raise error from None
        except ParamValidationError:
            # botocore refused the input before sending it (an empty code, say): the caller's input.
            raise ProviderError(ProviderErrorCode.INVALID_PARAMETER) from None
        except BotoCoreError as exc:
            log.warning("cognito %s unreachable: %s", operation, type(exc).__name__)
            raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
        return result

    @staticmethod
    def _secret(pool: PoolBinding, username: str) -> dict[str, str]:
        if pool.client_secret is None:
            return {}
        return {"SECRET_HASH": secret_hash(pool.client_secret, username, pool.client_id)}

    def _public_secret(self, pool: PoolBinding, username: str) -> dict[str, str]:
        hashed = self._secret(pool, username)
        return {"SecretHash": hashed["SECRET_HASH"]} if hashed else {}

    async def admin_create_user(self, pool: PoolBinding, username: str, attributes: Mapping[str, str]) -> CreatedUser:
        # No TemporaryPassword: Cognito generates one to the pool's policy and sends it itself, so the
        # password never passes through regapi.
        params: dict[str, Any] = {
            "UserPoolId": pool.user_pool_id,
            "Username": username,
            "UserAttributes": _attribute_list(attributes),
        }
        if "email" in attributes:
            params["DesiredDeliveryMediums"] = ["EMAIL"]
        user = (await self._call("admin_create_user", **params))["User"]
        return CreatedUser(user["Username"], user["UserStatus"], _timestamp(user.get("UserCreateDate")))

    async def sign_up(
        self, pool: PoolBinding, username: str, password: str, attributes: Mapping[str, str]
    ) -> SignUpResult:
        result = await self._call(
            "sign_up",
            ClientId=pool.client_id,
            Username=username,
            Password=password,
            UserAttributes=_attribute_list(attributes),
            **self._public_secret(pool, username),
        )
        return SignUpResult(user_confirmed=bool(result.get("UserConfirmed")))

    async def confirm_sign_up(self, pool: PoolBinding, username: str, code: str) -> None:
        await self._call(
            "confirm_sign_up",
            ClientId=pool.client_id,
            Username=username,
            ConfirmationCode=code,
            **self._public_secret(pool, username),
        )

    async def resend_confirmation_code(self, pool: PoolBinding, username: str) -> CodeDeliveryDetails | None:
        result = await self._call(
            "resend_confirmation_code",
            ClientId=pool.client_id,
            Username=username,
            **self._public_secret(pool, username),
        )
        return _delivery(result.get("CodeDeliveryDetails"))

    async def admin_get_user(self, pool: PoolBinding, username: str) -> UserRecord | None:
        try:
            user = await self._call("admin_get_user", UserPoolId=pool.user_pool_id, Username=username)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USER_NOT_FOUND:
                return None
            raise
        return _user_record(user, "UserAttributes")

    async def list_users(self, pool: PoolBinding) -> list[UserRecord]:
        users: list[UserRecord] = []
        params: dict[str, Any] = {"UserPoolId": pool.user_pool_id, "Limit": 60}
        while True:
            page = await self._call("list_users", **params)
            users += [_user_record(user, "Attributes") for user in page.get("Users", [])]
            if not page.get("PaginationToken"):
                return users
            params["PaginationToken"] = page["PaginationToken"]

    async def create_disabled_user(
        self, pool: PoolBinding, username: str, password: str, attributes: Mapping[str, str]
    ) -> None:
        # Cognito's SignUp always sends a code the user could confirm with; the admin calls do not. The
        # user's own password is set only once the account is disabled: until then the temporary password
        # is a random one nobody is told, so no step leaves an account its owner could use.
        await self._call(
            "admin_create_user",
            UserPoolId=pool.user_pool_id,
            Username=username,
            TemporaryPassword=_undisclosed_password(),
            MessageAction="SUPPRESS",
            UserAttributes=_attribute_list(attributes),
        )
        try:
            await self._call("admin_disable_user", UserPoolId=pool.user_pool_id, Username=username)
            await self._call(
                "admin_set_user_password",
                UserPoolId=pool.user_pool_id,
                Username=username,
                Password=password,
                Permanent=True,
            )
        except ProviderError:
            # Half a sign-up helps nobody: remove it, so the same request can simply be sent again.
            await self._call("admin_delete_user", UserPoolId=pool.user_pool_id, Username=username)
            raise

    async def enable_user(self, pool: PoolBinding, username: str, attributes: Mapping[str, str]) -> None:
        if attributes:
            await self._call(
                "admin_update_user_attributes",
                UserPoolId=pool.user_pool_id,
                Username=username,
                UserAttributes=_attribute_list(attributes),
            )
        await self._call("admin_enable_user", UserPoolId=pool.user_pool_id, Username=username)

    async def delete_user(self, pool: PoolBinding, username: str) -> None:
        await self._call("admin_delete_user", UserPoolId=pool.user_pool_id, Username=username)

    async def resend_invitation(self, pool: PoolBinding, username: str) -> CreatedUser:
        user = (
            await self._call(
                "admin_create_user",
                UserPoolId=pool.user_pool_id,
                Username=username,
                MessageAction="RESEND",
            )
        )["User"]
        record = _user_record(user, "Attributes")
        # The new temporary password's validity runs from now, which Cognito records as the modification.
        return CreatedUser(record.username, record.status, record.modified_at)

    async def initiate_auth(self, pool: PoolBinding, username: str, password: str) -> AuthResult:
        result = await self._call(
            "initiate_auth",
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password, **self._secret(pool, username)},
        )
        return self._auth_result(result)

    async def respond_to_new_password_challenge(
        self,
        pool: PoolBinding,
        username: str,
        session: str,
        new_password: str,
        attributes: Sequence[tuple[str, str]],
    ) -> AuthResult:
        responses = {"USERNAME": username, "NEW_PASSWORD": new_password, **self._secret(pool, username)}
        responses.update({f"userAttributes.{name}": value for name, value in attributes})
        result = await self._call(
            "respond_to_auth_challenge",
            ClientId=pool.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses=responses,
        )
        return self._auth_result(result)

    @staticmethod
    def _auth_result(result: Mapping[str, Any]) -> AuthResult:
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


class HttpKeySource:
    """A pool's signing keys fetched from its JWKS URL and cached; fetched again when a token names a key
    the cache does not hold (Cognito rotates keys)."""

    def __init__(self, region: str, endpoint_url: str | None = None) -> None:
        self._region = region
        self._base = endpoint_url.rstrip("/") if endpoint_url else f"https://cognito-idp.{region}.amazonaws.com"
        self._cache: dict[str, Mapping[str, Any]] = {}
        self._fetched: dict[str, float] = {}

    def issuer(self, pool: PoolBinding) -> str:
        return f"https://cognito-idp.{self._region}.amazonaws.com/{pool.user_pool_id}"

    async def jwks(self, pool: PoolBinding, *, refresh: bool = False) -> Mapping[str, Any]:
        pool_id = pool.user_pool_id
        # A refresh at most once a minute per pool: tokens naming unknown keys cannot flood the endpoint.
        stale = refresh and time.monotonic() - self._fetched.get(pool_id, 0.0) > 60
        if stale or pool_id not in self._cache:
            url = f"{self._base}/{pool_id}/.well-known/jwks.json"
            self._cache[pool_id] = await anyio.to_thread.run_sync(_fetch_json, url)
            self._fetched[pool_id] = time.monotonic()
        return self._cache[pool_id]


def _fetch_json(url: str) -> Mapping[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - an https or configured endpoint URL
        data: Mapping[str, Any] = json.load(response)
        return data
