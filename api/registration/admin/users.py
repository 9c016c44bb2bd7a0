"""The tenant's users as its administrator manages them: a password reset (then the user finishes with
confirmForgotPassword). Only the tenant's own users: in a shared pool another tenant's user is, to this
tenant's administrator, no user at all."""

from __future__ import annotations

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode
from api.registration import requests as rq
from api.registration.credentials import Administrators
from api.registration.failures import NO_SUCH_USER, USER_NOT_CONFIRMED, refuse, translate
from api.registration.outcomes import UserAdministered, UserStatus
from api.registration.tenancy import Target


class UserAdministration:
    def __init__(self, admins: Administrators, provider: IdentityProvider) -> None:
        self._admins = admins
        self._provider = provider

    async def _owned(self, request: rq.AdminUser, caller: rq.Caller) -> Target:
        """The named user, if the caller administers its tenant and the user is that tenant's."""
        target = await self._admins.target(request.tenant, request.username, caller)
        if not target.owns(await self._provider.admin_get_user(target.pool, target.username)):
            refuse(NO_SUCH_USER)
        return target

    async def _state(self, target: Target) -> UserAdministered:
        user = await self._provider.admin_get_user(target.pool, target.username)
        if user is None:
            refuse(NO_SUCH_USER)
        return UserAdministered(user.username, UserStatus(user.status), user.enabled)

    async def reset_password(self, request: rq.AdminUser, caller: rq.Caller) -> UserAdministered:
        """RESET_REQUIRED, and a reset code sent to the user's verified address."""
        target = await self._owned(request, caller)
        try:
            await self._provider.admin_reset_password(target.pool, target.username)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USER_NOT_FOUND:
                refuse(NO_SUCH_USER)
            if error.code in {ProviderErrorCode.INVALID_PARAMETER, ProviderErrorCode.NOT_AUTHORIZED}:
                refuse(USER_NOT_CONFIRMED)  # no verified address to send the code to, or not confirmed yet
            refuse(translate(error))
        return await self._state(target)
