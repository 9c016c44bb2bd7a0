"""IdentityProvider over a cognito-idp client, for every backend: the registration calls here, the
account's in api.cognito.account, one call's machinery in api.cognito.calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.cognito.account import AccountCalls
from api.cognito.calls import DEFAULT_TIMEOUT, create_client, describe_pool
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


class CognitoAdapter(AccountCalls):
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
        sub = next((a["Value"] for a in user.get("Attributes", []) if a["Name"] == "sub"), None)
        return CreatedUser(user["Username"], user["UserStatus"], timestamp(user.get("UserCreateDate")), sub)

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
        return SignUpResult(user_confirmed=bool(result.get("UserConfirmed")), sub=result.get("UserSub"))

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
