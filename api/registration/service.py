"""The registration use cases: policy first, then the identity provider, then one outcome.

Every request goes the same way: find the tenant, normalise the username, let the engine decide, and
only if it allows, call the provider. Provider refusals are translated here, in one place per use case,
which is also where user-existence errors are hidden when the tenant asks for it (the default).
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import anyio

from api.clock import Clock, SystemClock
from api.cognito.port import (
    IdentityProvider,
    NewPasswordChallenge,
    PoolBinding,
    ProviderError,
    ProviderErrorCode,
    UserRecord,
    mask_destination,
)
from api.policy import Decision, Operation, TenantPolicy, evaluate, is_valid_username, normalize_username
from api.policy.engine import PolicyRequest
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE
from api.policy.store import PolicyStore
from api.registration import requests as rq
from api.registration.attempts import AttemptLimiter
from api.registration.credentials import api_key_name, bearer_token
from api.registration.forms import build_form
from api.registration.outcomes import (
    ApprovalOutcome,
    ChallengeOutcome,
    CodeResent,
    Confirmed,
    ConfirmOutcome,
    Delivery,
    Denied,
    ErrorCode,
    Failure,
    Form,
    Invitation,
    InvitationResent,
    Invited,
    InviteOutcome,
    PasswordChangeRequired,
    PendingSignUp,
    ResendInvitationOutcome,
    ResendOutcome,
    SignedIn,
    SignedUp,
    SignInOutcome,
    SignUpDecided,
    SignUpOutcome,
)
from api.registration.sessions import SessionSealer
from api.registration.tokens import AccessTokens, looks_like_jwt

_Outcome = TypeVar("_Outcome")

audit = logging.getLogger("regapi.audit")
ANONYMOUS = rq.Caller()
log = logging.getLogger("regapi.registration")

MAX_CODE_LENGTH = 2048  # Cognito's limit for ConfirmationCode
LETTERS = "abcdefghijklmnopqrstuvwxyz"

WRONG_CREDENTIALS = Failure(ErrorCode.NOT_AUTHORIZED, "Incorrect username or password.")
WRONG_CODE = Failure(ErrorCode.CODE_MISMATCH, "Invalid verification code provided, please try again.", "code")
NO_SUCH_USER = Failure(ErrorCode.USER_NOT_FOUND, "No such user.", "username")
ALREADY_CONFIRMED = Failure(ErrorCode.ALREADY_CONFIRMED, "This user is not waiting for a code.", "username")
USERNAME_TAKEN = Failure(ErrorCode.USERNAME_EXISTS, "A user with this username exists already.", "username")
INVITATION_EXPIRED = Failure(
    ErrorCode.INVITATION_EXPIRED, "The invitation has expired; ask an administrator to send a new one."
)
INVALID_SESSION = Failure(ErrorCode.INVALID_SESSION, "The session is invalid or has expired; sign in again.", "session")
# Refusals that mean "this user is unknown here", which a tenant that hides existence answers like a wrong
# code or password.
EXISTENCE = frozenset({ProviderErrorCode.USER_NOT_FOUND, ProviderErrorCode.ALREADY_CONFIRMED})


class UnexpectedProviderError(RuntimeError):
    """A provider answer no rule covers: surfaced as a masked top-level GraphQL error."""


def _failure_for(error: ProviderError) -> Failure:
    """Refusals whose meaning is the same in every use case."""
    match error.code:
        case ProviderErrorCode.TOO_MANY_ATTEMPTS:
            # Cognito does not say for how long it locks; 15 minutes is the embedded Cognito's lockout.
            return Failure(ErrorCode.TOO_MANY_ATTEMPTS, "Too many attempts; try again later.", retry_after_seconds=900)
        case ProviderErrorCode.UNAVAILABLE:
            return Failure(
                ErrorCode.SERVICE_UNAVAILABLE,
                "The identity service is unavailable; try again shortly.",
                retry_after_seconds=5,
            )
        case ProviderErrorCode.INVALID_PASSWORD:
            return Failure(ErrorCode.INVALID_PASSWORD, "The identity service refused this password.", "password")
        case ProviderErrorCode.SELF_SIGNUP_DISABLED:
            return Failure(ErrorCode.SELF_SIGNUP_DISABLED, "Self sign-up is disabled for this user pool.")
        case ProviderErrorCode.PASSWORD_RESET_REQUIRED:
            return Failure(
                ErrorCode.PASSWORD_RESET_REQUIRED, "An administrator reset this password; reset it to go on."
            )
    # Anything else (a wrong client secret, InvalidParameter on what the policy allowed) means the
    # configuration and the pool disagree: an operator's problem, not the caller's, so it is masked.
    log.error("identity provider refused unexpectedly: %s", error.code.value)
    raise UnexpectedProviderError(error.code.value) from error


def id_token_claims(token: str) -> dict[str, object]:
    """The payload of an ID token the identity provider just answered regapi's own call with (trusted as
    far as the connection to the provider is)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


class MovingAverage:
    """An exponentially weighted average: recent sign-ups weigh most, one slow call cannot dominate."""

    def __init__(self, initial: float, weight: float = 0.1) -> None:
        self.value = initial
        self._weight = weight

    def add(self, sample: float) -> None:
        self.value += self._weight * (min(sample, 10 * self.value + 0.01) - self.value)


def _too_many(wait: int) -> Failure:
    return Failure(ErrorCode.TOO_MANY_ATTEMPTS, "Too many attempts; try again later.", retry_after_seconds=wait)


def _plausible_code(code: str) -> bool:
    return 0 < len(code) <= MAX_CODE_LENGTH and not any(c.isspace() for c in code)


@dataclass(frozen=True, slots=True)
class Target:
    """A request's tenant, its pool, and the username as the tenant spells it."""

    policy: TenantPolicy
    pool: PoolBinding
    username: str
    shared: bool  # other tenants name the same pool

    def owns(self, stamp: str | None) -> bool:
        """Whether a user stamped so belongs to this tenant. Users without a stamp (created outside
        regapi) belong to the pool's only tenant, and to no tenant of a shared pool."""
        return stamp == self.policy.tenant or (stamp is None and not self.shared)

    @property
    def hides_existence(self) -> bool:
        return self.policy.policy.registration.prevent_user_existence_errors


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


def _new_user_attributes(target: Target, sent: rq.Attributes, origin: str) -> dict[str, str]:
    """What Cognito stores for a new user: what the policy allowed, plus regapi's stamps, plus the
    e-mail address when it is the username."""
    attributes = dict(sent)
    attributes[TENANT_ATTRIBUTE] = target.policy.tenant
    attributes[ORIGIN_ATTRIBUTE] = origin
    if target.policy.policy.username.kind == "email":
        attributes["email"] = target.username
    return attributes


class RegistrationService:
    def __init__(
        self,
        policies: PolicyStore,
        pools: Mapping[str, PoolBinding],
        provider: IdentityProvider,
        sealer: SessionSealer,
        *,
        clock: Clock | None = None,
        limiter: AttemptLimiter | None = None,
        tokens: AccessTokens | None = None,
    ) -> None:
        self._policies = policies
        self._pools = pools
        self._provider = provider
        self._sealer = sealer
        self._clock = clock or SystemClock()
        self._limiter = limiter or AttemptLimiter()
        self._tokens = tokens
        self._sign_up_seconds = MovingAverage(initial=0.05)

    # ------------------------------------------------------------ helpers

    def _policy(self, tenant: str) -> TenantPolicy | Failure:
        policy = self._policies.get(tenant)
        if policy is None:
            return Failure(ErrorCode.TENANT_NOT_FOUND, f"No tenant named {tenant!r}.", "tenant")
        return policy

    def _target(self, tenant: str, username: str) -> Target | Failure:
        policy = self._policy(tenant)
        if isinstance(policy, Failure):
            return policy
        name = policy.policy.cognito.user_pool
        shared = len(self._policies.pool_tenants(name)) > 1
        return Target(policy, self._pools[name], normalize_username(policy.policy, username), shared)

    async def _belongs(self, target: Target) -> bool:
        """In a shared pool, whether the user exists and is this tenant's (one extra Cognito call)."""
        if not target.shared:
            return True
        user = await self._provider.admin_get_user(target.pool, target.username)
        return user is not None and target.owns(user.attributes.get(TENANT_ATTRIBUTE))

    def _decide(self, policy: TenantPolicy, request: PolicyRequest) -> Decision:
        decision = evaluate(policy, request)
        # Names and codes only: values may be personal data, and passwords never reach a log.
        audit.info(
            "decision tenant=%s operation=%s allowed=%s violations=%s revision=%s",
            decision.tenant,
            decision.operation,
            decision.allowed,
            ",".join(f"{v.code.value}:{v.attribute or v.field}" for v in decision.violations) or "-",
            decision.revision,
        )
        return decision

    async def _admin(self, policy: TenantPolicy, caller: rq.Caller) -> Failure | None:
        """An API key of the tenant, or an access token of a user in one of its admin groups."""
        key = bearer_token(caller.authorization)
        name = api_key_name(policy.policy, key) if key else None
        if name is None and key and looks_like_jwt(key) and policy.policy.admins.groups and self._tokens:
            name = await self._token_admin(policy, key)
        if name is None:
            audit.info("admin refused tenant=%s", policy.tenant)
            return Failure(ErrorCode.NOT_AUTHORIZED, "A valid API key or admin token of this tenant is required.")
        audit.info("admin tenant=%s as=%s", policy.tenant, name)
        return None

    async def _token_admin(self, policy: TenantPolicy, token: str) -> str | None:
        assert self._tokens is not None  # noqa: S101 - checked by the caller
        target = self._target(policy.tenant, "")
        if isinstance(target, Failure):
            return None
        username = await self._tokens.admin(target.pool, token, policy.policy.admins.groups)
        if username is None:
            return None
        # In a shared pool, another tenant's administrator is not this tenant's.
        if target.shared:
            user = await self._provider.admin_get_user(target.pool, username)
            if user is None or not target.owns(user.attributes.get(TENANT_ATTRIBUTE)):
                return None
        return f"token:{username}"

    def _hidden_destination(self, target: Target) -> Delivery:
        """Where a code "went", computed from the username alone, so it is the same whether the user
        exists, is pending or is confirmed. E-mail usernames are their own address; for plain usernames
        the letters come from a server-keyed digest, which a client cannot compute to tell the cases apart."""
        if target.policy.policy.username.kind == "email":
            return Delivery("EMAIL", mask_destination(target.username))
        digest = self._sealer.fingerprint(f"{target.policy.tenant}\0{target.username}")
        return Delivery("EMAIL", f"{LETTERS[digest[0] % 26]}***@{LETTERS[digest[1] % 26]}***")

    async def _over_limit(self, target: Target, caller: rq.Caller, per_user: str | None) -> Failure | None:
        """The address's attempt is counted; a user whose failures are used up waits, existing or not."""
        limits = target.policy.policy.limits
        if wait := await self._limiter.take(limits.attempts_per_address, "address", caller.address):
            return _too_many(wait)
        if per_user is not None and (
            wait := await self._limiter.wait(per_user, per_user, target.policy.tenant, target.username)
        ):
            return _too_many(wait)
        return None

    async def _failed(self, target: Target, per_user: str) -> None:
        await self._limiter.count(per_user, per_user, target.policy.tenant, target.username)

    async def _guarded(
        self,
        target: Target,
        caller: rq.Caller,
        per_user: str,
        attempt: Callable[[], Awaitable[_Outcome]],
        failures: frozenset[ErrorCode],
    ) -> _Outcome | Failure:
        """Run an attempt within the limits, counting it against the user when it fails."""
        if refused := await self._over_limit(target, caller, per_user):
            return refused
        outcome = await attempt()
        if isinstance(outcome, Failure) and outcome.code in failures:
            await self._failed(target, per_user)
        return outcome

    def origin_refusal(self, tenant: str, caller: rq.Caller) -> Failure | None:
        """A browser page may call only the tenants that list its origin (nothing by default)."""
        policy = self._policies.get(tenant)
        if caller.origin is None or policy is None or caller.origin in policy.policy.cors.allowed_origins:
            return None
        audit.info("origin refused tenant=%s", tenant)
        return Failure(ErrorCode.NOT_AUTHORIZED, "Pages of this origin may not call this tenant.")

    # ------------------------------------------------------------ public queries

    def form(self, request: rq.FormRequest) -> Form | Failure:
        policy = self._policy(request.tenant)
        return policy if isinstance(policy, Failure) else build_form(policy, request.operation)

    # ------------------------------------------------------------ admin path

    async def explain(self, request: rq.Explain, caller: rq.Caller) -> Decision | Failure:
        """The decision a request would get, without calling Cognito or writing the audit log."""
        policy = self._policy(request.tenant)
        if isinstance(policy, Failure):
            return policy
        if refused := await self._admin(policy, caller):
            return refused
        return explain(policy, request)

    async def invite_user(self, request: rq.InviteUser, caller: rq.Caller) -> InviteOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        if refused := await self._admin(target.policy, caller):
            return refused
        limits = target.policy.policy.limits
        if (wait := await self._limiter.take(limits.attempts_per_address, "address", caller.address)) or (
            wait := await self._limiter.take(limits.invitations_per_tenant, "invite", target.policy.tenant)
        ):
            return _too_many(wait)
        decision = self._decide(target.policy, PolicyRequest(Operation.INVITE, target.username, request.attributes))
        if not decision.allowed:
            return Denied(decision)
        attributes = _new_user_attributes(target, request.attributes, "invite")
        if "email" in attributes:
            # The administrator vouches for the address (the seed documents' admin pattern).
            attributes["email_verified"] = "true"
        try:
            created = await self._provider.admin_create_user(
                target.pool, target.username, attributes, tenant=target.policy.tenant
            )
        except ProviderError as error:
            if error.code is ProviderErrorCode.USERNAME_EXISTS:
                return USERNAME_TAKEN  # the admin path may know: the caller holds the tenant's key
            return _failure_for(error)
        return Invited(created.username, created.status, created.created_at + self._validity(target))

    def _validity(self, target: Target) -> timedelta:
        return timedelta(days=target.policy.policy.registration.temporary_password_validity_days)

    def _invitation(self, target: Target, user: UserRecord) -> Invitation | None:
        """The invitation a user stands for, if it is an invited user of this tenant.

        Cognito cannot tell an expired invitation from a pending one: both are FORCE_CHANGE_PASSWORD.
        The status is derived from when the temporary password was last issued (creation, or the
        last resend) and this tenant's validity days.
        """
        if user.attributes.get(ORIGIN_ATTRIBUTE) != "invite" or not target.owns(user.attributes.get(TENANT_ATTRIBUTE)):
            return None
        waiting = user.status == "FORCE_CHANGE_PASSWORD"
        issued = max(user.created_at, user.modified_at) if waiting else user.created_at
        expires = issued + self._validity(target)
        status = ("EXPIRED" if self._clock.now() > expires else "PENDING") if waiting else "ACCEPTED"
        return Invitation(user.username, status, user.status, user.created_at, expires)

    async def _invitation_expired(self, target: Target) -> bool:
        """This tenant's validity, which may be shorter than the pool's (shared pools take the longest)."""
        user = await self._provider.admin_get_user(target.pool, target.username)
        invitation = self._invitation(target, user) if user is not None else None
        return invitation is not None and invitation.status == "EXPIRED"

    async def invitations(self, request: rq.InvitationQuery, caller: rq.Caller) -> list[Invitation] | Failure:
        target = self._target(request.tenant, request.username or "")
        if isinstance(target, Failure):
            return target
        if refused := await self._admin(target.policy, caller):
            return refused
        if request.username is not None:
            user = await self._provider.admin_get_user(target.pool, target.username)
            found = self._invitation(target, user) if user is not None else None
            return [found] if found is not None else []
        invitations = [self._invitation(target, user) for user in await self._provider.list_users(target.pool)]
        return [i for i in invitations if i is not None and (request.status is None or i.status == request.status)]

    async def resend_invitation(self, request: rq.ResendInvitation, caller: rq.Caller) -> ResendInvitationOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        if refused := await self._admin(target.policy, caller):
            return refused
        rule = target.policy.policy.limits.resends_per_user
        if refused := await self._over_limit(target, caller, rule):
            return refused
        await self._failed(target, rule)  # every resend counts
        user = await self._provider.admin_get_user(target.pool, target.username)
        invitation = self._invitation(target, user) if user is not None else None
        if invitation is None:
            return Failure(ErrorCode.USER_NOT_FOUND, "No invitation of this tenant for this username.", "username")
        if invitation.status == "ACCEPTED":
            return Failure(ErrorCode.ALREADY_CONFIRMED, "The invitation was accepted already.", "username")
        try:
            resent = await self._provider.resend_invitation(target.pool, target.username, tenant=target.policy.tenant)
        except ProviderError as error:
            return _failure_for(error)
        # From Cognito's clock, as for inviteUser, so both answers and `invitation` agree.
        return InvitationResent(target.username, resent.created_at + self._validity(target))

    def _pending(self, target: Target, user: UserRecord) -> PendingSignUp | None:
        """A sign-up awaiting approval: this tenant's, from sign-up, and not yet enabled."""
        stamps = user.attributes
        if user.enabled or stamps.get(ORIGIN_ATTRIBUTE) != "sign_up" or not target.owns(stamps.get(TENANT_ATTRIBUTE)):
            return None
        shown = tuple((k, v) for k, v in user.attributes.items() if k in target.policy.policy.attributes)
        return PendingSignUp(user.username, user.created_at, shown)

    async def pending_sign_ups(self, tenant: str, caller: rq.Caller) -> list[PendingSignUp] | Failure:
        target = self._target(tenant, "")
        if isinstance(target, Failure):
            return target
        if refused := await self._admin(target.policy, caller):
            return refused
        if not target.policy.policy.registration.approval_required:
            return []
        pending = [self._pending(target, user) for user in await self._provider.list_users(target.pool)]
        return [p for p in pending if p is not None]

    async def decide_sign_up(self, request: rq.DecideSignUp, caller: rq.Caller) -> ApprovalOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        if refused := await self._admin(target.policy, caller):
            return refused
        user = await self._provider.admin_get_user(target.pool, target.username)
        # Only tenants with approval have pending sign-ups: elsewhere a disabled user was disabled on purpose.
        approving = target.policy.policy.registration.approval_required
        if not approving or user is None or self._pending(target, user) is None:
            return Failure(
                ErrorCode.USER_NOT_FOUND, "No sign-up of this tenant awaits approval under this name.", "username"
            )
        try:
            if request.approve:
                # The administrator vouches for the address, as at an invitation (the seed documents'
                # external-verification case).
                verified = {"email_verified": "true"} if "email" in user.attributes else {}
                await self._provider.enable_user(target.pool, target.username, verified)
            else:
                await self._provider.delete_user(target.pool, target.username)
        except ProviderError as error:
            return _failure_for(error)
        audit.info("sign-up %s tenant=%s", "approved" if request.approve else "rejected", target.policy.tenant)
        return SignUpDecided(target.username, user.status if request.approve else None)

    # ------------------------------------------------------------ self-service path

    async def sign_up(self, request: rq.SignUp, caller: rq.Caller = ANONYMOUS) -> SignUpOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        limits = target.policy.policy.limits
        if (wait := await self._limiter.take(limits.sign_ups_per_address, "sign_up", caller.address)) or (
            wait := await self._limiter.take(limits.sign_ups_per_tenant, "sign_up", target.policy.tenant)
        ):
            return _too_many(wait)
        decision = self._decide(
            target.policy,
            PolicyRequest(Operation.SIGN_UP, target.username, request.attributes, password=request.password),
        )
        if not decision.allowed:
            return Denied(decision)
        attributes = _new_user_attributes(target, request.attributes, "sign_up")
        if target.policy.policy.registration.approval_required:
            return await self._sign_up_for_approval(target, request.password, attributes)
        # Masked from what the caller sent, not from Cognito's answer: a new and a taken username get the
        # same bytes back.
        sent_to = Delivery("EMAIL", mask_destination(attributes["email"])) if "email" in attributes else None
        started = time.monotonic()
        try:
            result = await self._provider.sign_up(
                target.pool, target.username, request.password, attributes, tenant=target.policy.tenant
            )
        except ProviderError as error:
            if error.code is ProviderErrorCode.USERNAME_EXISTS:
                if not target.hides_existence:
                    return USERNAME_TAKEN
                # A taken name returns before Cognito sends any e-mail: wait as long as a real sign-up
                # usually takes, so the answer's timing does not tell either.
                await anyio.sleep(max(0.0, self._sign_up_seconds.value - (time.monotonic() - started)))
                return SignedUp("CONFIRM_SIGN_UP", sent_to)
            return _failure_for(error)
        self._sign_up_seconds.add(time.monotonic() - started)
        if result.user_confirmed:
            return SignedUp("DONE", None)
        return SignedUp("CONFIRM_SIGN_UP", sent_to)

    async def _sign_up_for_approval(self, target: Target, password: str, attributes: dict[str, str]) -> SignUpOutcome:
        """No code is sent, and the user cannot sign in, until an administrator approves."""
        try:
            await self._provider.create_disabled_user(
                target.pool, target.username, password, attributes, tenant=target.policy.tenant
            )
        except ProviderError as error:
            if error.code is ProviderErrorCode.USERNAME_EXISTS:
                return SignedUp("AWAIT_APPROVAL", None) if target.hides_existence else USERNAME_TAKEN
            return _failure_for(error)
        return SignedUp("AWAIT_APPROVAL", None)

    async def confirm_sign_up(self, request: rq.ConfirmSignUp, caller: rq.Caller = ANONYMOUS) -> ConfirmOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        # During a lock even the right code waits, or guessing would only be slowed down.
        rule = target.policy.policy.limits.wrong_codes_per_user
        return await self._guarded(
            target, caller, rule, lambda: self._confirm(target, request), frozenset({ErrorCode.CODE_MISMATCH})
        )

    async def _confirm(self, target: Target, request: rq.ConfirmSignUp) -> ConfirmOutcome:
        if not _plausible_code(request.code):
            return WRONG_CODE
        if not is_valid_username(target.username) or not await self._belongs(target):
            return WRONG_CODE if target.hides_existence else NO_SUCH_USER
        try:
            await self._provider.confirm_sign_up(
                target.pool, target.username, request.code, tenant=target.policy.tenant
            )
        except ProviderError as error:
            match error.code:
                case ProviderErrorCode.CODE_MISMATCH:
                    return WRONG_CODE
                case ProviderErrorCode.CODE_EXPIRED:
                    return Failure(ErrorCode.CODE_EXPIRED, "The code has expired; request a new one.", "code")
                case code if code in EXISTENCE and target.hides_existence:
                    return WRONG_CODE
                case ProviderErrorCode.USER_NOT_FOUND:
                    return NO_SUCH_USER
                case ProviderErrorCode.ALREADY_CONFIRMED:
                    return ALREADY_CONFIRMED
            return _failure_for(error)
        return Confirmed("CONFIRMED")

    async def resend_confirmation_code(
        self, request: rq.ResendConfirmationCode, caller: rq.Caller = ANONYMOUS
    ) -> ResendOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        rule = target.policy.policy.limits.resends_per_user
        if refused := await self._over_limit(target, caller, rule):
            return refused
        await self._failed(target, rule)  # every resend counts
        if not is_valid_username(target.username) or not await self._belongs(target):
            return CodeResent(self._hidden_destination(target)) if target.hides_existence else NO_SUCH_USER
        try:
            details = await self._provider.resend_confirmation_code(
                target.pool, target.username, tenant=target.policy.tenant
            )
        except ProviderError as error:
            match error.code:
                case code if code in EXISTENCE and target.hides_existence:
                    return CodeResent(self._hidden_destination(target))
                case ProviderErrorCode.USER_NOT_FOUND:
                    return NO_SUCH_USER
                case ProviderErrorCode.ALREADY_CONFIRMED:
                    return ALREADY_CONFIRMED
            return _failure_for(error)
        if target.hides_existence or details is None:
            return CodeResent(self._hidden_destination(target))
        return CodeResent(Delivery(details.medium, details.destination))

    async def sign_in(self, request: rq.SignIn, caller: rq.Caller = ANONYMOUS) -> SignInOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        rule = target.policy.policy.limits.wrong_passwords_per_user
        return await self._guarded(
            target, caller, rule, lambda: self._sign_in(target, request), frozenset({ErrorCode.NOT_AUTHORIZED})
        )

    async def _sign_in(self, target: Target, request: rq.SignIn) -> SignInOutcome:
        if not is_valid_username(target.username) or not request.password:
            return WRONG_CREDENTIALS
        # In a shared pool, another tenant's user must get nothing from Cognito through this tenant: not
        # its refusals (unconfirmed, expired, reset) and not a failed try counted against its lockout.
        if not await self._belongs(target):
            return WRONG_CREDENTIALS
        try:
            result = await self._provider.initiate_auth(target.pool, target.username, request.password)
        except ProviderError as error:
            match error.code:
                case ProviderErrorCode.NOT_AUTHORIZED | ProviderErrorCode.USER_NOT_FOUND:
                    return WRONG_CREDENTIALS
                case ProviderErrorCode.INVITATION_EXPIRED:
                    return INVITATION_EXPIRED
                case ProviderErrorCode.USER_NOT_CONFIRMED:
                    return Failure(ErrorCode.USER_NOT_CONFIRMED, "Confirm your account with the code sent to you.")
            return _failure_for(error)
        stamp = (
            result.user_attributes.get(TENANT_ATTRIBUTE)
            if isinstance(result, NewPasswordChallenge)
            else id_token_claims(result.id_token).get(TENANT_ATTRIBUTE)
        )
        if not target.owns(stamp if isinstance(stamp, str) else None):
            # Another tenant's user in a shared pool: answered exactly as an unknown user, tokens withheld.
            return WRONG_CREDENTIALS
        if isinstance(result, NewPasswordChallenge):
            if await self._invitation_expired(target):
                return INVITATION_EXPIRED
            current = dict(result.user_attributes)
            form = build_form(
                target.policy, Operation.FIRST_SIGN_IN, current=current, pool_required=result.required_attributes
            )
            session = self._sealer.seal(
                target.policy.tenant, target.username, result.session, current.keys(), result.required_attributes
            )
            return PasswordChangeRequired(session, form)
        return SignedIn(result)

    async def respond_to_new_password_challenge(
        self, request: rq.RespondToNewPasswordChallenge, caller: rq.Caller = ANONYMOUS
    ) -> ChallengeOutcome:
        target = self._target(request.tenant, request.username)
        if isinstance(target, Failure):
            return target
        rule = target.policy.policy.limits.wrong_passwords_per_user
        failures = frozenset({ErrorCode.INVALID_SESSION, ErrorCode.INVALID_PASSWORD})
        return await self._guarded(target, caller, rule, lambda: self._respond(target, request), failures)

    async def _respond(self, target: Target, request: rq.RespondToNewPasswordChallenge) -> ChallengeOutcome:
        sealed = self._sealer.open(request.session, target.policy.tenant, target.username)
        if sealed is None:
            return INVALID_SESSION
        decision = self._decide(
            target.policy,
            PolicyRequest(
                Operation.FIRST_SIGN_IN,
                target.username,
                request.attributes,
                password=request.new_password,
                existing_attributes=sealed.existing_attributes,
                pool_required=sealed.pool_required,
            ),
        )
        if not decision.allowed:
            return Denied(decision)
        try:
            result = await self._provider.respond_to_new_password_challenge(
                target.pool, target.username, sealed.cognito_session, request.new_password, request.attributes
            )
        except ProviderError as error:
            if error.code in {ProviderErrorCode.INVALID_SESSION, ProviderErrorCode.NOT_AUTHORIZED}:
                return INVALID_SESSION
            if error.code is ProviderErrorCode.INVALID_PASSWORD:
                return Failure(ErrorCode.INVALID_PASSWORD, "The identity service refused this password.", "newPassword")
            return _failure_for(error)
        if isinstance(result, NewPasswordChallenge):
            raise UnexpectedProviderError("a second NEW_PASSWORD_REQUIRED challenge")
        return SignedIn(result)
