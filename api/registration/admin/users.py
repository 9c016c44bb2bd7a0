"""The tenant's users as its administrator manages them: listed page by page, reset, disabled, enabled,
deleted, their attributes changed under operation `admin_update`. Only the tenant's own users: in a shared
pool another tenant's user is, to this tenant's administrator, no user at all."""

from __future__ import annotations

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode, UserRecord
from api.events.model import EventType
from api.policy import Operation
from api.policy.engine import PolicyRequest
from api.registration import requests as rq
from api.registration.credentials import Administrators, admin_action
from api.registration.cursors import Cursors, Position
from api.registration.failures import (
    AWAITS_APPROVAL,
    INVALID_CURSOR,
    NO_SUCH_USER,
    USER_NOT_CONFIRMED,
    refuse,
    translate,
)
from api.registration.invitations import pending_sign_up
from api.registration.outcomes import UserAdministered, UserList, UserStatus, UserSummary
from api.registration.partners import Partners, event_user
from api.registration.tenancy import Target, decide

DEFAULT_PAGE, MAX_PAGE = 20, 60  # users per answer; 60 is also ListUsers' largest page
# ListUsers has a fixed quota (30 calls per second), shared by every tenant of the account: one answer
# makes at most this many, and a shared pool's tenant with few users pages on with the cursor instead.
MAX_CALLS = 3


class UserAdministration:
    def __init__(
        self, admins: Administrators, provider: IdentityProvider, cursors: Cursors, partners: Partners
    ) -> None:
        self._admins = admins
        self._provider = provider
        self._cursors = cursors
        self._partners = partners

    async def _owned(
        self, request: rq.AdminUser | rq.AdminUpdateAttributes, caller: rq.Caller
    ) -> tuple[Target, UserRecord]:
        """The named user, if the caller administers its tenant and the user is that tenant's."""
        target = await self._admins.target(request.tenant, request.username, caller)
        user = await self._provider.admin_get_user(target.pool, target.username)
        if user is None or not target.owns(user):
            refuse(NO_SUCH_USER)
        return target, user

    async def _state(self, target: Target, acted_on: UserRecord, action: str, event: EventType) -> UserAdministered:
        admin_action(action, acted_on)
        user = await self._provider.admin_get_user(target.pool, target.username)
        if user is None:
            refuse(NO_SUCH_USER)
        await self._partners.tell(target, event, user)
        return UserAdministered(user.username, UserStatus(user.status), user.enabled)

    @staticmethod
    def _summary(target: Target, user: UserRecord) -> UserSummary:
        shown = set(target.policy.attributes) | {"email_verified"}
        attributes = tuple((k, v) for k, v in sorted(user.attributes.items()) if k in shown)
        return UserSummary(user.username, UserStatus(user.status), user.enabled, user.created_at, attributes)

    async def users(self, request: rq.UserQuery, caller: rq.Caller) -> UserList:
        target = await self._admins.target(request.tenant, "", caller)
        first = max(1, min(request.first or DEFAULT_PAGE, MAX_PAGE))
        status = request.status.value if request.status is not None else None
        scope = f"{target.tenant}\0{status or ''}"
        position = Position(None, 0)
        if request.after is not None:
            opened = self._cursors.open(scope, request.after)
            if opened is None:
                refuse(INVALID_CURSOR)
            position = opened
        found: list[UserSummary] = []
        token, skip = position.token, position.skip
        for _ in range(MAX_CALLS):
            page = await self._provider.users_page(target.pool, limit=MAX_PAGE, token=token, status=status)
            for index, user in enumerate(page.users[skip:], start=skip):
                if not target.owns(user):
                    continue
                if len(found) == first:  # the next answer starts at this user
                    return UserList(tuple(found), self._cursors.seal(scope, Position(token, index)))
                found.append(self._summary(target, user))
            if page.next_token is None:
                return UserList(tuple(found), None)
            token, skip = page.next_token, 0
            if len(found) == first:
                break
        return UserList(tuple(found), self._cursors.seal(scope, Position(token, 0)))

    async def reset_password(self, request: rq.AdminUser, caller: rq.Caller) -> UserAdministered:
        """RESET_REQUIRED, and a reset code sent to the user's verified address."""
        target, user = await self._owned(request, caller)
        try:
            await self._provider.admin_reset_password(target.pool, target.username)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USER_NOT_FOUND:
                refuse(NO_SUCH_USER)
            if error.code in {ProviderErrorCode.INVALID_PARAMETER, ProviderErrorCode.NOT_AUTHORIZED}:
                refuse(USER_NOT_CONFIRMED)  # no verified address to send the code to, or not confirmed yet
            refuse(translate(error))
        return await self._state(target, user, "password_reset", EventType.USER_PASSWORD_RESET)

    async def disable(self, request: rq.AdminUser, caller: rq.Caller) -> UserAdministered:
        target, user = await self._owned(request, caller)
        await self._provider.disable_user(target.pool, target.username)
        return await self._state(target, user, "user_disabled", EventType.USER_DISABLED)

    async def enable(self, request: rq.AdminUser, caller: rq.Caller) -> UserAdministered:
        target, user = await self._owned(request, caller)
        if pending_sign_up(target, user) is not None:
            refuse(AWAITS_APPROVAL)  # enabling would let it in without what approval checks and sets
        await self._provider.enable_user(target.pool, target.username, {})
        return await self._state(target, user, "user_enabled", EventType.USER_ENABLED)

    async def delete(self, request: rq.AdminUser, caller: rq.Caller) -> UserAdministered:
        target, user = await self._owned(request, caller)
        try:
            await self._provider.delete_user(target.pool, target.username)
        except ProviderError as error:
            if error.code is not ProviderErrorCode.USER_NOT_FOUND:  # gone already: deleted all the same
                raise
        admin_action("user_deleted", user)
        await self._partners.tell(target, EventType.USER_DELETED, event_user(user, enabled=False))
        return UserAdministered(user.username, UserStatus(user.status), enabled=False)

    async def update_attributes(self, request: rq.AdminUpdateAttributes, caller: rq.Caller) -> UserSummary:
        target, user = await self._owned(request, caller)
        has_value = frozenset(name for name, value in user.attributes.items() if value)
        decide(
            target.policy,
            PolicyRequest(Operation.ADMIN_UPDATE, target.username, request.attributes, existing_attributes=has_value),
        )
        try:
            await self._provider.admin_update_user_attributes(target.pool, target.username, dict(request.attributes))
        except ProviderError as error:
            if error.code is ProviderErrorCode.USER_NOT_FOUND:
                refuse(NO_SUCH_USER)
            refuse(translate(error))
        admin_action("attributes_updated", user, attributes=sorted(dict(request.attributes)))
        updated = await self._provider.admin_get_user(target.pool, target.username)
        if updated is None:
            refuse(NO_SUCH_USER)
        changed = sorted(dict(request.attributes))
        await self._partners.tell(target, EventType.USER_ATTRIBUTES_UPDATED, event_user(updated, changed=changed))
        return self._summary(target, updated)
