"""The one boto3 user: IdentityProvider over a cognito-idp client, for every backend.

Real Cognito, the embedded Cognito and any Cognito-compatible endpoint differ only in the client
passed in, so the code that production runs is the code the tests run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
)

from api.cognito.budget import DEFAULT_SECONDS, CallBudget
from api.cognito.errors import THROTTLED, error_name, http_status, translate
from api.cognito.port import (
    AuthResult,
    CodeDeliveryDetails,
    CreatedUser,
    PoolBinding,
    ProviderError,
    ProviderErrorCode,
    SignUpResult,
    UserRecord,
)
from api.cognito.shapes import (
    attribute_list,
    auth_result,
    delivery,
    secret_hash,
    timestamp,
    undisclosed_password,
    unfinished,
    user_record,
)

__all__ = ["DEFAULT_TIMEOUT", "CognitoAdapter", "create_client", "describe_pool", "secret_hash"]

log = logging.getLogger("regapi.cognito")

DEFAULT_TIMEOUT = DEFAULT_SECONDS
# Calls that change nothing: tried again after any transient failure. A call that changes something is
# tried again only when the failure shows Cognito did not act on it (throttled, or never connected): sent
# twice, AdminCreateUser or SignUp would answer "exists" for the user the first attempt created, and
# ConfirmSignUp "already confirmed" for the confirmation it made.
READS = frozenset({"admin_get_user", "list_users", "describe_user_pool", "describe_user_pool_client"})


def create_client(region: str, endpoint_url: str | None = None, budget: CallBudget | None = None) -> Any:
    """The process's one cognito-idp client: creating one costs tens of milliseconds, and it is thread-safe.

    Its timeouts fit `budget`, and botocore never retries: the adapter does, within the budget and only
    where trying again is safe (READS)."""
    # botocore logs whole request and response bodies at DEBUG: passwords, codes and tokens. Turning on
    # debug logging for regapi must never turn that on.
    for name in ("botocore", "boto3"):
        library_log = logging.getLogger(name)
        library_log.setLevel(max(library_log.getEffectiveLevel(), logging.INFO))
    budget = budget or CallBudget(DEFAULT_TIMEOUT)
    config = Config(
        max_pool_connections=budget.concurrency,
        connect_timeout=budget.connect_timeout,
        read_timeout=budget.read_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
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


def _retryable(exc: Exception, *, reads: bool) -> bool:
    if isinstance(exc, ParamValidationError):
        return False
    if isinstance(exc, EndpointConnectionError):  # no connection (refused, or connecting timed out): nothing sent
        return True
    if isinstance(exc, ClientError):
        return error_name(exc) in THROTTLED or (reads and http_status(exc) >= 500)
    return reads and isinstance(exc, HTTPClientError)  # a read timed out or the connection dropped


class CognitoAdapter:
    def __init__(self, client: Any, budget: CallBudget | None = None) -> None:
        self._client = client
        self._budget = budget or CallBudget(DEFAULT_TIMEOUT)

    async def _call(self, pool: PoolBinding, operation: str, **params: Any) -> dict[str, Any]:
        """One Cognito request within the budget; every way it can fail leaves as a ProviderError."""
        call = functools.partial(getattr(self._client, operation), **params)
        reads = operation in READS
        try:
            # boto3 blocks; off the event loop, unrelated requests keep flowing while Cognito answers.
            result: dict[str, Any] = await self._budget.run(call, lambda exc: _retryable(exc, reads=reads))
        except ClientError as exc:
            error = translate(exc)
            name = error_name(exc)
            if name == "ResourceNotFoundException":
                # The policy names a pool or app client that is not there: the operator's to fix.
                log.error(
                    "cognito %s: the endpoint has no pool %s (user_pool_id %s, client_id %s): check the policy's ids",
                    operation,
                    pool.name,
                    pool.user_pool_id,
                    pool.client_id,
                )
            elif error.code is ProviderErrorCode.UNAVAILABLE:
                log.warning("cognito %s failed: %s (HTTP %s)", operation, name or "-", http_status(exc))
            else:
                log.info("cognito %s refused: %s", operation, error.code.value)
            raise error from None
        except ParamValidationError:
            # botocore refused the input before sending it (an empty code, say): the caller's input.
            raise ProviderError(ProviderErrorCode.INVALID_PARAMETER) from None
        except TimeoutError:
            log.warning("cognito %s: no answer within %g s", operation, self._budget.seconds)
            raise ProviderError(ProviderErrorCode.UNAVAILABLE) from None
        except (BotoCoreError, OSError) as exc:
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
            "UserAttributes": attribute_list(attributes),
        }
        if "email" in attributes:
            params["DesiredDeliveryMediums"] = ["EMAIL"]
        user = (await self._call(pool, "admin_create_user", **params))["User"]
        return CreatedUser(user["Username"], user["UserStatus"], timestamp(user.get("UserCreateDate")))

    async def sign_up(
        self, pool: PoolBinding, username: str, password: str, attributes: Mapping[str, str]
    ) -> SignUpResult:
        result = await self._call(
            pool,
            "sign_up",
            ClientId=pool.client_id,
            Username=username,
            Password=password,
            UserAttributes=attribute_list(attributes),
            **self._public_secret(pool, username),
        )
        return SignUpResult(user_confirmed=bool(result.get("UserConfirmed")))

    async def confirm_sign_up(self, pool: PoolBinding, username: str, code: str) -> None:
        await self._call(
            pool,
            "confirm_sign_up",
            ClientId=pool.client_id,
            Username=username,
            ConfirmationCode=code,
            **self._public_secret(pool, username),
        )

    async def resend_confirmation_code(self, pool: PoolBinding, username: str) -> CodeDeliveryDetails | None:
        result = await self._call(
            pool,
            "resend_confirmation_code",
            ClientId=pool.client_id,
            Username=username,
            **self._public_secret(pool, username),
        )
        return delivery(result.get("CodeDeliveryDetails"))

    async def admin_get_user(self, pool: PoolBinding, username: str) -> UserRecord | None:
        try:
            user = await self._call(pool, "admin_get_user", UserPoolId=pool.user_pool_id, Username=username)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USER_NOT_FOUND:
                return None
            raise
        return user_record(user, "UserAttributes")

    async def list_users(self, pool: PoolBinding) -> list[UserRecord]:
        users: list[UserRecord] = []
        params: dict[str, Any] = {"UserPoolId": pool.user_pool_id, "Limit": 60}
        while True:
            page = await self._call(pool, "list_users", **params)
            users += [user_record(user, "Attributes") for user in page.get("Users", [])]
            if not page.get("PaginationToken"):
                return users
            params["PaginationToken"] = page["PaginationToken"]

    async def create_disabled_user(
        self, pool: PoolBinding, username: str, password: str, attributes: Mapping[str, str]
    ) -> None:
        # Cognito's SignUp always sends a code the user could confirm with; the admin calls do not. The
        # user's own password is set only once the account is disabled: until then the temporary password
        # is a random one nobody is told, so no step leaves an account its owner could use.
        try:
            await self._call(
                pool,
                "admin_create_user",
                UserPoolId=pool.user_pool_id,
                Username=username,
                TemporaryPassword=undisclosed_password(),
                MessageAction="SUPPRESS",
                UserAttributes=attribute_list(attributes),
            )
        except ProviderError as error:
            # The same sign-up sent again after its answer was lost finds the user its first try left
            # half made: finish that one rather than answer "exists" and leave it stuck.
            if error.code is not ProviderErrorCode.USERNAME_EXISTS or not unfinished(
                await self.admin_get_user(pool, username), attributes
            ):
                raise
        try:
            await self._call(pool, "admin_disable_user", UserPoolId=pool.user_pool_id, Username=username)
            await self._call(
                pool,
                "admin_set_user_password",
                UserPoolId=pool.user_pool_id,
                Username=username,
                Password=password,
                Permanent=True,
            )
        except ProviderError as error:
            if error.code is not ProviderErrorCode.UNAVAILABLE:
                # Refused (the pool's password rules, say): remove the half, so the request can be sent
                # again as it is or changed. Unreachable: the same request sent again finishes it.
                await self._call(pool, "admin_delete_user", UserPoolId=pool.user_pool_id, Username=username)
            raise

    async def enable_user(self, pool: PoolBinding, username: str, attributes: Mapping[str, str]) -> None:
        if attributes:
            await self._call(
                pool,
                "admin_update_user_attributes",
                UserPoolId=pool.user_pool_id,
                Username=username,
                UserAttributes=attribute_list(attributes),
            )
        await self._call(pool, "admin_enable_user", UserPoolId=pool.user_pool_id, Username=username)

    async def delete_user(self, pool: PoolBinding, username: str) -> None:
        await self._call(pool, "admin_delete_user", UserPoolId=pool.user_pool_id, Username=username)

    async def resend_invitation(self, pool: PoolBinding, username: str) -> CreatedUser:
        user = (
            await self._call(
                pool,
                "admin_create_user",
                UserPoolId=pool.user_pool_id,
                Username=username,
                MessageAction="RESEND",
            )
        )["User"]
        record = user_record(user, "Attributes")
        # The new temporary password's validity runs from now, which Cognito records as the modification.
        return CreatedUser(record.username, record.status, record.modified_at)

    async def initiate_auth(self, pool: PoolBinding, username: str, password: str) -> AuthResult:
        result = await self._call(
            pool,
            "initiate_auth",
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password, **self._secret(pool, username)},
        )
        return auth_result(result)

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
            pool,
            "respond_to_auth_challenge",
            ClientId=pool.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses=responses,
        )
        return auth_result(result)
