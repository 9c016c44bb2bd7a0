"""The account's calls after registration: recovery, the user's own calls with their access token, token
refresh and sign-out, and the administrator's user management."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.cognito.calls import Calls
from api.cognito.port import CodeDeliveryDetails, PoolBinding, Tokens, UserPage, UserRecord
from api.cognito.shapes import attribute_list, auth_result, delivery, user_record


class AccountCalls(Calls):
    # ---------------------------------------------------------------- recovery

    async def forgot_password(self, pool: PoolBinding, username: str) -> CodeDeliveryDetails | None:
        result = await self._call(
            pool, "forgot_password", ClientId=pool.client_id, Username=username, **self._public_secret(pool, username)
        )
        return delivery(result.get("CodeDeliveryDetails"))

    async def confirm_forgot_password(self, pool: PoolBinding, username: str, code: str, new_password: str) -> None:
        await self._call(
            pool,
            "confirm_forgot_password",
            ClientId=pool.client_id,
            Username=username,
            ConfirmationCode=code,
            Password=new_password,
            **self._public_secret(pool, username),
        )

    async def admin_reset_password(self, pool: PoolBinding, username: str) -> None:
        await self._call(pool, "admin_reset_user_password", UserPoolId=pool.user_pool_id, Username=username)

    # ---------------------------------------------------------------- the user, with an access token

    async def get_user(self, pool: PoolBinding, access_token: str) -> UserRecord:
        result = await self._call(pool, "get_user", AccessToken=access_token)
        return user_record(result, "UserAttributes")

    async def update_user_attributes(
        self, pool: PoolBinding, access_token: str, attributes: Mapping[str, str]
    ) -> list[CodeDeliveryDetails]:
        result = await self._call(
            pool, "update_user_attributes", AccessToken=access_token, UserAttributes=attribute_list(attributes)
        )
        sent = (delivery(d) for d in result.get("CodeDeliveryDetailsList", []))
        return [d for d in sent if d is not None]

    async def verify_user_attribute(self, pool: PoolBinding, access_token: str, attribute: str, code: str) -> None:
        await self._call(pool, "verify_user_attribute", AccessToken=access_token, AttributeName=attribute, Code=code)

    async def send_verification_code(
        self, pool: PoolBinding, access_token: str, attribute: str
    ) -> CodeDeliveryDetails | None:
        result = await self._call(
            pool, "get_user_attribute_verification_code", AccessToken=access_token, AttributeName=attribute
        )
        return delivery(result.get("CodeDeliveryDetails"))

    async def change_password(self, pool: PoolBinding, access_token: str, previous: str, proposed: str) -> None:
        await self._call(
            pool, "change_password", AccessToken=access_token, PreviousPassword=previous, ProposedPassword=proposed
        )

    async def refresh(self, pool: PoolBinding, username: str, refresh_token: str) -> Tokens:
        # The pools have no alias attributes, so the username is the one SECRET_HASH is computed over.
        result = await self._call(
            pool,
            "initiate_auth",
            ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token, **self._secret(pool, username)},
        )
        tokens = auth_result(result)
        if not isinstance(tokens, Tokens):  # a challenge: REFRESH_TOKEN_AUTH never asks one
            raise TypeError("REFRESH_TOKEN_AUTH answered with a challenge")
        return tokens

    async def global_sign_out(self, pool: PoolBinding, access_token: str) -> None:
        await self._call(pool, "global_sign_out", AccessToken=access_token)

    # ---------------------------------------------------------------- the administrator

    async def admin_update_user_attributes(
        self, pool: PoolBinding, username: str, attributes: Mapping[str, str]
    ) -> None:
        await self._call(
            pool,
            "admin_update_user_attributes",
            UserPoolId=pool.user_pool_id,
            Username=username,
            UserAttributes=attribute_list(attributes),
        )

    async def disable_user(self, pool: PoolBinding, username: str) -> None:
        await self._call(pool, "admin_disable_user", UserPoolId=pool.user_pool_id, Username=username)

    async def users_page(
        self, pool: PoolBinding, *, limit: int, token: str | None = None, status: str | None = None
    ) -> UserPage:
        """One page of ListUsers (at most 60), from `token` on; only users in `status` when given."""
        params: dict[str, Any] = {"UserPoolId": pool.user_pool_id, "Limit": max(1, min(limit, 60))}
        if token:
            params["PaginationToken"] = token
        if status:
            params["Filter"] = f'cognito:user_status = "{status}"'
        page = await self._call(pool, "list_users", **params)
        users = tuple(user_record(user, "Attributes") for user in page.get("Users", []))
        return UserPage(users, page.get("PaginationToken") or None)
