"""The self-service use cases: what anyone may call for themselves, without a credential.

Each one goes the same way: the tenant (and the page's origin), the attempt limits, the engine's
decision, and only then the identity provider. Where the tenant hides user existence (the default),
an unknown user's answer is made to look like anyone else's (`failures.hide_existence`).
"""

from __future__ import annotations

import time

from api.clock import Clock
from api.cognito.port import IdentityProvider, NewPasswordChallenge, ProviderError, ProviderErrorCode, mask_destination
from api.policy import Operation, is_valid_username
from api.policy.engine import PolicyRequest
from api.policy.model import TENANT_ATTRIBUTE
from api.registration import invitations as inv
from api.registration import requests as rq
from api.registration.existence import SignUpTiming, hidden_destination
from api.registration.failures import (
    CODE_EXPIRED,
    EXISTENCE,
    INVALID_SESSION,
    INVITATION_EXPIRED,
    USER_NOT_CONFIRMED,
    WRONG_CODE,
    WRONG_CREDENTIALS,
    Refused,
    UnexpectedProviderError,
    hide_existence,
    invalid_password,
    refuse,
    translate,
)
from api.registration.forms import build_form
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import (
    CodeResent,
    Confirmed,
    Delivery,
    DeliveryMedium,
    Denied,
    ErrorCode,
    Form,
    InvitationStatus,
    PasswordChangeRequired,
    SignedIn,
    SignedUp,
    SignUpStep,
    UserStatus,
)
from api.registration.sessions import SealedSession, SessionSealer
from api.registration.single_use import SingleUse
from api.registration.tenancy import KeyedLocks, Target, Tenancy, decide, new_user_attributes
from api.registration.tokens import id_token_claims

ANONYMOUS = rq.Caller()
MAX_CODE_LENGTH = 2048  # Cognito's limit for ConfirmationCode


def _plausible_code(code: str) -> bool:
    return 0 < len(code) <= MAX_CODE_LENGTH and not any(c.isspace() for c in code)


class SelfService:
    def __init__(
        self,
        tenancy: Tenancy,
        provider: IdentityProvider,
        *,
        limiter: AttemptLimiter,
        sealer: SessionSealer,
        used_sessions: SingleUse,
        clock: Clock,
    ) -> None:
        self._tenancy = tenancy
        self._provider = provider
        self._limiter = limiter
        self._sealer = sealer
        self._used_sessions = used_sessions
        self._clock = clock
        self._sign_up_timing = SignUpTiming()
        self._replacing = KeyedLocks()

    def form(self, request: rq.FormRequest, caller: rq.Caller = ANONYMOUS) -> Form:
        return build_form(self._tenancy.policy(request.tenant, caller), request.operation)

    # ------------------------------------------------------------------------------------- sign-up

    async def sign_up(self, request: rq.SignUp, caller: rq.Caller = ANONYMOUS) -> SignedUp:
        target = self._tenancy.target(request.tenant, request.username, caller)
        limits = target.policy.policy.limits
        await self._limiter.take(target.tenant, limits, "sign_ups_per_address", target.tenant, caller.address)
        await self._limiter.take(target.tenant, limits, "sign_ups_per_tenant", target.tenant)
        decide(
            target.policy,
            PolicyRequest(Operation.SIGN_UP, target.username, request.attributes, password=request.password),
        )
        attributes = new_user_attributes(target, request.attributes, "sign_up")
        if target.policy.policy.registration.approval_required:
            return await self._sign_up_for_approval(target, request.password, attributes)
        # Masked from what the caller sent, not from Cognito's answer: a new and a taken username get the
        # same bytes back.
        email = attributes.get("email")
        sent_to = Delivery(DeliveryMedium.EMAIL, mask_destination(email)) if email is not None else None
        started = time.monotonic()
        try:
            result = await self._provider.sign_up(target.pool, target.username, request.password, attributes)
        except ProviderError as error:
            if error.code is not ProviderErrorCode.USERNAME_EXISTS:
                refuse(translate(error))
            if await self._replace_pending(target, request.password, attributes):
                return SignedUp(SignUpStep.CONFIRM_SIGN_UP, sent_to)
            hide_existence(target.hides_existence, error.code)
            await self._sign_up_timing.pad(started)
            return SignedUp(SignUpStep.CONFIRM_SIGN_UP, sent_to)
        self._sign_up_timing.add(time.monotonic() - started)
        if result.user_confirmed:
            return SignedUp(SignUpStep.DONE, None)
        return SignedUp(SignUpStep.CONFIRM_SIGN_UP, sent_to)

    async def _replace_pending(self, target: Target, password: str, attributes: dict[str, str]) -> bool:
        """A sign-up for a name whose registration is still unconfirmed replaces that registration: the
        account goes to whoever proves the mailbox, with the password and attributes of the sign-up they
        confirm, never to whoever registered the name first (account pre-hijacking). The older
        registration and its codes are gone; a fresh code is sent. Whether it was replaced is never told.
        Held under the user's lock, which confirmation takes too, so a confirmation cannot land between
        the lookup and the deletion (within this process; see the README for several)."""
        async with self._replacing.lock(target):
            user = await self._provider.admin_get_user(target.pool, target.username)
            if user is None or not target.owns(user) or not user.enabled:
                return False
            # No per-username budget here: a budget anyone can spend (by resends, or by signing the name
            # up again) would let an attacker switch the replacement off before the owner signs up. The
            # sign-up limits per address and per tenant bound how many codes this sends.
            if UserStatus(user.status) is not UserStatus.UNCONFIRMED:
                return False
            await self._provider.delete_user(target.pool, target.username)
            try:
                await self._provider.sign_up(target.pool, target.username, password, attributes)
            except ProviderError as error:
                if error.code is ProviderErrorCode.USERNAME_EXISTS:
                    return False  # another sign-up took the name in between
                raise
            return True

    async def _sign_up_for_approval(self, target: Target, password: str, attributes: dict[str, str]) -> SignedUp:
        """No code is sent, and the user cannot sign in, until an administrator approves."""
        try:
            await self._provider.create_disabled_user(target.pool, target.username, password, attributes)
        except ProviderError as error:
            if error.code is not ProviderErrorCode.USERNAME_EXISTS:
                refuse(translate(error))
            hide_existence(target.hides_existence, error.code)
        return SignedUp(SignUpStep.AWAIT_APPROVAL, None)

    async def confirm_sign_up(self, request: rq.ConfirmSignUp, caller: rq.Caller = ANONYMOUS) -> Confirmed:
        target = self._tenancy.target(request.tenant, request.username, caller)
        return await self._limiter.guarded(
            target, caller, "wrong_codes_per_user", lambda: self._confirm(target, request), {ErrorCode.CODE_MISMATCH}
        )

    async def _confirm(self, target: Target, request: rq.ConfirmSignUp) -> Confirmed:
        if not _plausible_code(request.code):
            refuse(WRONG_CODE)
        if not is_valid_username(target.username) or not await self._tenancy.belongs(target):
            hide_existence(target.hides_existence)
            refuse(WRONG_CODE)
        try:
            async with self._replacing.lock(target):  # never while a replacement is under way
                await self._provider.confirm_sign_up(target.pool, target.username, request.code)
        except ProviderError as error:
            match error.code:
                case ProviderErrorCode.CODE_MISMATCH:
                    refuse(WRONG_CODE)
                case ProviderErrorCode.CODE_EXPIRED:
                    refuse(CODE_EXPIRED)
                case code if code in EXISTENCE:
                    hide_existence(target.hides_existence, code)
                    refuse(WRONG_CODE)
            refuse(translate(error))
        return Confirmed(UserStatus.CONFIRMED)

    async def resend_confirmation_code(
        self, request: rq.ResendConfirmationCode, caller: rq.Caller = ANONYMOUS
    ) -> CodeResent:
        target = self._tenancy.target(request.tenant, request.username, caller)
        await self._limiter.count_resend(target, caller)
        hidden = CodeResent(hidden_destination(target, self._sealer))
        if not is_valid_username(target.username) or not await self._tenancy.belongs(target):
            hide_existence(target.hides_existence)
            return hidden
        try:
            details = await self._provider.resend_confirmation_code(target.pool, target.username)
        except ProviderError as error:
            if error.code not in EXISTENCE:
                refuse(translate(error))
            hide_existence(target.hides_existence, error.code)
            return hidden
        if target.hides_existence or details is None:
            return hidden
        return CodeResent(Delivery(DeliveryMedium(details.medium), details.destination))

    # ------------------------------------------------------------------------------------- sign-in

    async def sign_in(self, request: rq.SignIn, caller: rq.Caller = ANONYMOUS) -> SignedIn | PasswordChangeRequired:
        target = self._tenancy.target(request.tenant, request.username, caller)
        return await self._limiter.guarded(
            target,
            caller,
            "wrong_passwords_per_user",
            lambda: self._sign_in(target, request),
            {ErrorCode.NOT_AUTHORIZED},
        )

    async def _sign_in(self, target: Target, request: rq.SignIn) -> SignedIn | PasswordChangeRequired:
        # Sign-in answers NOT_AUTHORIZED for an unknown user whatever the tenant hides, as Cognito does.
        if not is_valid_username(target.username) or not request.password:
            refuse(WRONG_CREDENTIALS)
        # In a shared pool, another tenant's user must get nothing from Cognito through this tenant: not
        # its refusals (unconfirmed, expired, reset) and not a failed try counted against its lockout.
        if not await self._tenancy.belongs(target):
            refuse(WRONG_CREDENTIALS)
        try:
            result = await self._provider.initiate_auth(target.pool, target.username, request.password)
        except ProviderError as error:
            match error.code:
                case ProviderErrorCode.NOT_AUTHORIZED | ProviderErrorCode.USER_NOT_FOUND:
                    refuse(WRONG_CREDENTIALS)
                case ProviderErrorCode.INVITATION_EXPIRED:
                    refuse(INVITATION_EXPIRED)
                case ProviderErrorCode.USER_NOT_CONFIRMED:
                    refuse(USER_NOT_CONFIRMED)
            refuse(translate(error))
        stamp = (
            result.user_attributes.get(TENANT_ATTRIBUTE)
            if isinstance(result, NewPasswordChallenge)
            else id_token_claims(result.id_token).get(TENANT_ATTRIBUTE)
        )
        if not target.owns_stamp(stamp):
            # Another tenant's user in a shared pool: answered exactly as an unknown user, tokens withheld.
            refuse(WRONG_CREDENTIALS)
        if isinstance(result, NewPasswordChallenge):
            return await self._first_sign_in(target, result)
        return SignedIn(result)

    async def _first_sign_in(self, target: Target, challenge: NewPasswordChallenge) -> PasswordChangeRequired:
        # This tenant's validity, which may be shorter than the pool's (shared pools take the longest).
        user = await self._provider.admin_get_user(target.pool, target.username)
        invitation = inv.invitation(target, user, self._clock.now())
        if invitation is not None and invitation.status is InvitationStatus.EXPIRED:
            refuse(INVITATION_EXPIRED)
        current = dict(challenge.user_attributes)
        form = build_form(
            target.policy, Operation.FIRST_SIGN_IN, current=current, pool_required=challenge.required_attributes
        )
        session = self._sealer.seal(
            target.tenant,
            target.username,
            challenge.session,
            current.keys(),
            challenge.required_attributes,
            issued_at=self._clock.now(),
        )
        return PasswordChangeRequired(session, form)

    async def respond_to_new_password_challenge(
        self, request: rq.RespondToNewPasswordChallenge, caller: rq.Caller = ANONYMOUS
    ) -> SignedIn:
        target = self._tenancy.target(request.tenant, request.username, caller)
        if self._sealer.open(request.session, target.tenant, target.username, now=self._clock.now()) is None:
            # Not a session regapi sealed for this user (or expired): counted for the address only, so
            # junk sent for someone's name cannot lock their sign-in.
            await self._limiter.take(
                target.tenant, target.policy.policy.limits, "attempts_per_address", target.tenant, caller.address
            )
            refuse(INVALID_SESSION)
        failures = {ErrorCode.INVALID_SESSION, ErrorCode.INVALID_PASSWORD}
        return await self._limiter.guarded(
            target, caller, "wrong_passwords_per_user", lambda: self._respond(target, request), failures
        )

    async def _respond(self, target: Target, request: rq.RespondToNewPasswordChallenge) -> SignedIn:
        now = self._clock.now()
        sealed = self._sealer.open(request.session, target.tenant, target.username, now=now)
        if sealed is None:
            refuse(INVALID_SESSION)
        # One answer per session, whatever the endpoint enforces; claimed before anything else so that a
        # replay, even one sent while the first answer is in flight, is refused as such.
        use = f"{target.tenant}\0{sealed.nonce}"
        if not await self._used_sessions.claim(use, max(1, int((sealed.expires_at - now).total_seconds()) + 1)):
            refuse(INVALID_SESSION)
        try:
            return await self._answer(target, request, sealed)
        except Refused as refused:
            if isinstance(refused.outcome, Denied):  # refused before Cognito saw it: the user may fix and retry
                await self._used_sessions.release(use)
            raise  # once the answer went to Cognito, whatever came back, the session is spent

    async def _answer(
        self, target: Target, request: rq.RespondToNewPasswordChallenge, sealed: SealedSession
    ) -> SignedIn:
        decide(
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
        try:
            result = await self._provider.respond_to_new_password_challenge(
                target.pool, target.username, sealed.cognito_session, request.new_password, request.attributes
            )
        except ProviderError as error:
            if error.code in {ProviderErrorCode.INVALID_SESSION, ProviderErrorCode.NOT_AUTHORIZED}:
                refuse(INVALID_SESSION)
            if error.code is ProviderErrorCode.INVALID_PASSWORD:
                refuse(invalid_password("newPassword"))
            refuse(translate(error))
        if isinstance(result, NewPasswordChallenge):
            raise UnexpectedProviderError("a second NEW_PASSWORD_REQUIRED challenge")
        return SignedIn(result)
