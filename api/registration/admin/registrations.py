"""Registrations as the tenant's administrator drives them (API key or admin token): explain, invite,
list and resend invitations, list and approve or reject sign-ups.

Admin answers may say whether a user exists (USERNAME_EXISTS, USER_NOT_FOUND): the caller holds the
tenant's credentials, and Cognito's pool forces unique names anyway.
"""

from __future__ import annotations

from api.clock import Clock
from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode
from api.events.model import EventType
from api.policy import Decision, Operation, TenantPolicy, evaluate, normalize_username
from api.policy.engine import PolicyRequest
from api.registration import invitations as inv
from api.registration import requests as rq
from api.registration.credentials import Administrators, admin_action
from api.registration.failures import (
    INVITATION_ACCEPTED,
    NO_INVITATION,
    NO_PENDING_SIGN_UP,
    USERNAME_TAKEN,
    refuse,
    translate,
)
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import (
    Invitation,
    InvitationResent,
    InvitationStatus,
    Invited,
    PendingSignUp,
    SignUpDecided,
    UserStatus,
)
from api.registration.partners import Partners, event_user, new_user
from api.registration.tenancy import Tenancy, decide, new_user_attributes


def explain(policy: TenantPolicy, request: rq.Explain) -> Decision:
    """What the engine decides for a dry-run request; shared by the admin query and the CLI."""
    username = normalize_username(policy.policy, request.username) if request.username is not None else None
    return evaluate(
        policy,
        PolicyRequest(
            request.operation,
            username,
            request.attributes,
            password=request.password,
            existing_attributes=frozenset(request.existing_attributes),
        ),
    )


class AdminRegistrations:
    def __init__(
        self,
        tenancy: Tenancy,
        admins: Administrators,
        provider: IdentityProvider,
        limiter: AttemptLimiter,
        clock: Clock,
        *,
        partners: Partners,
    ) -> None:
        self._tenancy = tenancy
        self._admins = admins
        self._provider = provider
        self._limiter = limiter
        self._clock = clock
        self._partners = partners

    async def explain(self, request: rq.Explain, caller: rq.Caller) -> Decision:
        """The decision a request would get, without calling Cognito or writing the audit log."""
        policy = self._tenancy.policy(request.tenant, caller)
        await self._admins.authenticate(policy, caller.authorization)
        return explain(policy, request)

    async def invite_user(self, request: rq.InviteUser, caller: rq.Caller) -> Invited:
        target = await self._admins.target(request.tenant, request.username, caller)
        limits = target.policy.policy.limits
        await self._limiter.take(target.tenant, limits, "attempts_per_address", target.tenant, caller.address)
        await self._limiter.take(target.tenant, limits, "invitations_per_tenant", target.tenant)
        decide(target.policy, PolicyRequest(Operation.INVITE, target.username, request.attributes))
        attributes = new_user_attributes(target, request.attributes, "invite")
        if "email" in attributes:
            # The administrator vouches for the address (the seed documents' admin pattern).
            attributes["email_verified"] = "true"
        try:
            created = await self._provider.admin_create_user(target.pool, target.username, attributes)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USERNAME_EXISTS:
                refuse(USERNAME_TAKEN)
            refuse(translate(error))
        admin_action("user_invited", created.sub)
        invited = new_user(created.username, created.sub, created.status, attributes)
        await self._partners.tell(target, EventType.USER_INVITED, invited)
        expires = created.created_at + inv.validity(target.policy)
        return Invited(created.username, UserStatus(created.status), expires)

    async def invitations(self, request: rq.InvitationQuery, caller: rq.Caller) -> list[Invitation]:
        target = await self._admins.target(request.tenant, request.username or "", caller)
        now = self._clock.now()
        if request.username is not None:
            found = inv.invitation(target, await self._provider.admin_get_user(target.pool, target.username), now)
            return [found] if found is not None else []
        listed = [inv.invitation(target, user, now) for user in await self._provider.list_users(target.pool)]
        return [i for i in listed if i is not None and (request.status is None or i.status == request.status)]

    async def resend_invitation(self, request: rq.ResendInvitation, caller: rq.Caller) -> InvitationResent:
        target = await self._admins.target(request.tenant, request.username, caller)
        await self._limiter.count_send(target, caller)
        user = await self._provider.admin_get_user(target.pool, target.username)
        invitation = inv.invitation(target, user, self._clock.now())
        if invitation is None:
            refuse(NO_INVITATION)
        if invitation.status is InvitationStatus.ACCEPTED:
            refuse(INVITATION_ACCEPTED)
        try:
            resent = await self._provider.resend_invitation(target.pool, target.username)
        except ProviderError as error:
            refuse(translate(error))
        admin_action("invitation_resent", user)
        # From Cognito's clock, as for inviteUser, so both answers and `invitation` agree.
        return InvitationResent(target.username, resent.created_at + inv.validity(target.policy))

    async def pending_sign_ups(self, tenant: str, caller: rq.Caller) -> list[PendingSignUp]:
        target = await self._admins.target(tenant, "", caller)
        if not target.policy.policy.registration.approval_required:
            return []
        pending = [inv.pending_sign_up(target, user) for user in await self._provider.list_users(target.pool)]
        return [p for p in pending if p is not None]

    async def decide_sign_up(self, request: rq.DecideSignUp, caller: rq.Caller) -> SignUpDecided:
        target = await self._admins.target(request.tenant, request.username, caller)
        user = await self._provider.admin_get_user(target.pool, target.username)
        if user is None or inv.pending_sign_up(target, user) is None:
            refuse(NO_PENDING_SIGN_UP)
        try:
            if request.approve:
                # Approval vouches for the person, not for the mailbox: the address stays unverified and is
                # proven with a code at the first sign-in (self_service.address_proof).
                await self._provider.enable_user(target.pool, target.username, {})
            else:
                await self._provider.delete_user(target.pool, target.username)
        except ProviderError as error:
            refuse(translate(error))
        admin_action("sign_up_approved" if request.approve else "sign_up_rejected", user)
        if request.approve:
            await self._partners.tell(target, EventType.USER_APPROVED, event_user(user, enabled=True))
        else:
            await self._partners.tell(target, EventType.USER_REJECTED, user)
        return SignUpDecided(target.username, UserStatus(user.status))
