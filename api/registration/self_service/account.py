"""The account after registration, by its user: the profile (me, updateUserAttributes, verifyUserAttribute),
changePassword, refreshTokens and signOut.

The user's calls carry their access token. It is verified here first (signature, issuer, `token_use`,
client, expiry: an expired one is TOKEN_EXPIRED, any other bad one NOT_AUTHORIZED), then used at Cognito,
whose GetUser refuses a revoked token; access tokens carry no custom attributes, so the tenant stamp of a
shared pool's user comes from the user record. A token of one tenant never opens another.
"""

from __future__ import annotations

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode, UserRecord
from api.events.model import EventType
from api.observability import scope
from api.policy import Operation, PasswordOperation
from api.policy.engine import PolicyRequest
from api.policy.model import RESERVED_ATTRIBUTES, TENANT_ATTRIBUTE
from api.registration import requests as rq
from api.registration.credentials import bearer_token
from api.registration.failures import (
    CODE_EXPIRED,
    NOT_SIGNED_IN,
    TOKEN_EXPIRED,
    WRONG_CODE,
    WRONG_CREDENTIALS,
    WRONG_PASSWORD,
    invalid_password,
    refuse,
    translate,
)
from api.registration.forms import build_form
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import (
    Delivery,
    DeliveryMedium,
    Done,
    ErrorCode,
    Profile,
    ProfileUpdated,
    SignedIn,
    UserStatus,
)
from api.registration.partners import Partners, event_user
from api.registration.requests import ANONYMOUS, plausible_code
from api.registration.tenancy import Target, Tenancy, decide
from api.registration.tokens import AccessTokens, id_token_claims, looks_like_jwt

# Attributes a user reads about themselves besides those the policy names: whether the address is proven.
_ALSO_READABLE = frozenset({"email_verified"})


class Account:
    def __init__(
        self,
        tenancy: Tenancy,
        provider: IdentityProvider,
        *,
        tokens: AccessTokens,
        limiter: AttemptLimiter,
        partners: Partners,
    ) -> None:
        self._tenancy = tenancy
        self._provider = provider
        self._tokens = tokens
        self._limiter = limiter
        self._partners = partners

    async def _signed_in(self, tenant: str, caller: rq.Caller) -> tuple[Target, str]:
        """The caller's user and access token, once both are proven this tenant's."""
        policy = self._tenancy.policy(tenant, caller)
        # Every call with a token costs a signature check and, for a good one, a Cognito call (GetUser, under
        # the account's quota): counted for the address like the other self-service attempts.
        limits = policy.policy.limits
        await self._limiter.take(policy.tenant, limits, "attempts_per_address", policy.tenant, caller.address)
        token = bearer_token(caller.authorization)
        if token is None or not looks_like_jwt(token):
            refuse(NOT_SIGNED_IN)
        pool = self._tenancy.target_of(policy, "").pool
        verified = await self._tokens.verify(pool, token)
        if verified.expired:
            refuse(TOKEN_EXPIRED)
        if verified.username is None:
            refuse(NOT_SIGNED_IN)
        try:
            user = await self._provider.get_user(pool, token)  # Cognito refuses a revoked token
        except ProviderError as error:
            if error.code in {ProviderErrorCode.NOT_AUTHORIZED, ProviderErrorCode.USER_NOT_FOUND}:
                refuse(NOT_SIGNED_IN)
            refuse(translate(error))
        target = self._tenancy.target_of(policy, user.username)
        if not target.owns(user):  # another tenant's user of a shared pool
            refuse(NOT_SIGNED_IN)
        scope.set_actor(f"user:{user.attributes.get('sub') or '-'}")  # the signed-in user acts on itself
        return target, token

    async def _record(self, target: Target) -> UserRecord:
        user = await self._provider.admin_get_user(target.pool, target.username)
        if user is None:
            refuse(NOT_SIGNED_IN)
        return user

    def _profile(self, target: Target, user: UserRecord) -> Profile:
        readable = set(target.policy.attributes) | _ALSO_READABLE
        attributes = tuple(
            (name, value)
            for name, value in sorted(user.attributes.items())
            if name in readable and (name not in RESERVED_ATTRIBUTES or name in _ALSO_READABLE)
        )
        form = build_form(target.policy, Operation.PROFILE_UPDATE, current=dict(attributes))
        return Profile(target.tenant, user.username, UserStatus(user.status), attributes, form)

    async def me(self, tenant: str, caller: rq.Caller = ANONYMOUS) -> Profile:
        target, _ = await self._signed_in(tenant, caller)
        return self._profile(target, await self._record(target))

    async def update_attributes(self, request: rq.UpdateAttributes, caller: rq.Caller = ANONYMOUS) -> ProfileUpdated:
        target, token = await self._signed_in(request.tenant, caller)
        # AdminGetUser, not the GetUser answer above: that one holds only what the client may read, and a
        # write-once attribute it leaves out would look unset.
        user = await self._record(target)
        has_value = frozenset(name for name, value in user.attributes.items() if value)
        decide(
            target.policy,
            PolicyRequest(Operation.PROFILE_UPDATE, target.username, request.attributes, existing_attributes=has_value),
        )
        try:
            sent = await self._provider.update_user_attributes(target.pool, token, dict(request.attributes))
        except ProviderError as error:
            if error.code is ProviderErrorCode.NOT_AUTHORIZED:
                refuse(NOT_SIGNED_IN)  # revoked in between
            refuse(translate(error))
        deliveries = tuple(Delivery(DeliveryMedium(d.medium), d.destination) for d in sent)
        updated = await self._record(target)
        changed = sorted(dict(request.attributes))
        await self._partners.tell(target, EventType.USER_ATTRIBUTES_UPDATED, event_user(updated, changed=changed))
        return ProfileUpdated(self._profile(target, updated), deliveries)

    async def verify_attribute(self, request: rq.VerifyAttribute, caller: rq.Caller = ANONYMOUS) -> Done:
        target, token = await self._signed_in(request.tenant, caller)

        async def verify() -> Done:
            if not plausible_code(request.code) or request.attribute not in target.policy.attributes:
                refuse(WRONG_CODE)
            try:
                await self._provider.verify_user_attribute(target.pool, token, request.attribute, request.code)
            except ProviderError as error:
                match error.code:
                    case ProviderErrorCode.CODE_MISMATCH | ProviderErrorCode.INVALID_PARAMETER:
                        refuse(WRONG_CODE)
                    case ProviderErrorCode.CODE_EXPIRED:
                        refuse(CODE_EXPIRED)
                refuse(translate(error))
            return Done()

        return await self._limiter.guarded(target, caller, "wrong_codes_per_user", verify, {ErrorCode.CODE_MISMATCH})

    async def change_password(self, request: rq.ChangePassword, caller: rq.Caller = ANONYMOUS) -> Done:
        target, token = await self._signed_in(request.tenant, caller)
        decide(
            target.policy,
            PolicyRequest(PasswordOperation.CHANGE, target.username, password=request.proposed_password),
        )

        async def change() -> Done:
            try:
                await self._provider.change_password(
                    target.pool, token, request.previous_password, request.proposed_password
                )
            except ProviderError as error:
                match error.code:
                    case ProviderErrorCode.NOT_AUTHORIZED:
                        refuse(WRONG_PASSWORD)
                    case ProviderErrorCode.INVALID_PASSWORD:
                        refuse(invalid_password("proposedPassword"))
                refuse(translate(error))
            return Done()

        return await self._limiter.guarded(
            target, caller, "wrong_passwords_per_user", change, {ErrorCode.NOT_AUTHORIZED}
        )

    async def refresh_tokens(self, request: rq.RefreshTokens, caller: rq.Caller = ANONYMOUS) -> SignedIn:
        target = self._tenancy.target(request.tenant, request.username, caller)
        limits = target.policy.policy.limits
        await self._limiter.take(target.tenant, limits, "attempts_per_address", target.tenant, caller.address)
        if not request.refresh_token or len(request.refresh_token) > 8192:
            refuse(WRONG_CREDENTIALS)
        try:
            tokens = await self._provider.refresh(target.pool, target.username, request.refresh_token)
        except ProviderError as error:
            # Revoked, expired, another client's, the user gone or disabled; or a username that is not the
            # token's, which Cognito reports as a SECRET_HASH it cannot verify (sign-in reports a real one).
            refused = {
                ProviderErrorCode.NOT_AUTHORIZED,
                ProviderErrorCode.USER_NOT_FOUND,
                ProviderErrorCode.MISCONFIGURED,
            }
            if error.code in refused:
                refuse(WRONG_CREDENTIALS)
            refuse(translate(error))
        if not target.owns_stamp(id_token_claims(tokens.id_token).get(TENANT_ATTRIBUTE)):
            refuse(WRONG_CREDENTIALS)  # another tenant's user of a shared pool: tokens withheld
        return SignedIn(tokens)

    async def sign_out(self, tenant: str, caller: rq.Caller = ANONYMOUS) -> Done:
        """Every device: the user's refresh tokens revoked, their access tokens refused from now on."""
        target, token = await self._signed_in(tenant, caller)
        try:
            await self._provider.global_sign_out(target.pool, token)
        except ProviderError as error:
            if error.code is ProviderErrorCode.NOT_AUTHORIZED:
                refuse(NOT_SIGNED_IN)
            refuse(translate(error))
        return Done()
