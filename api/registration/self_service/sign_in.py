"""Sign-in: signIn, and the first sign-in of an invited user (respondToNewPasswordChallenge), with
sealed, single-use challenge sessions.

Sign-in answers NOT_AUTHORIZED for an unknown user whatever the tenant hides, as Cognito does.
"""

from __future__ import annotations

from api.clock import Clock
from api.cognito.port import IdentityProvider, NewPasswordChallenge, ProviderError, ProviderErrorCode
from api.events.model import EventType
from api.policy import Operation, is_valid_username
from api.policy.engine import PolicyRequest
from api.policy.model import TENANT_ATTRIBUTE
from api.registration import invitations as inv
from api.registration import requests as rq
from api.registration.failures import (
    INVALID_SESSION,
    INVITATION_EXPIRED,
    USER_NOT_CONFIRMED,
    WRONG_CREDENTIALS,
    Refused,
    UnexpectedProviderError,
    invalid_password,
    refuse,
    translate,
)
from api.registration.forms import build_form
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import (
    AddressProofRequired,
    Denied,
    ErrorCode,
    InvitationStatus,
    PasswordChangeRequired,
    SignedIn,
)
from api.registration.partners import Partners
from api.registration.requests import ANONYMOUS
from api.registration.self_service.address_proof import AddressProof, must_prove_address
from api.registration.sessions import SealedSession, SessionSealer
from api.registration.single_use import SingleUse
from api.registration.tenancy import Target, Tenancy, decide
from api.registration.tokens import id_token_claims

SignInOutcome = SignedIn | PasswordChangeRequired | AddressProofRequired


class SignIns:
    def __init__(
        self,
        tenancy: Tenancy,
        provider: IdentityProvider,
        *,
        limiter: AttemptLimiter,
        sealer: SessionSealer,
        used_sessions: SingleUse,
        clock: Clock,
        proof: AddressProof,
        partners: Partners,
    ) -> None:
        self._proof = proof
        self._partners = partners
        self._tenancy = tenancy
        self._provider = provider
        self._limiter = limiter
        self._sealer = sealer
        self._used_sessions = used_sessions
        self._clock = clock

    async def sign_in(self, request: rq.SignIn, caller: rq.Caller = ANONYMOUS) -> SignInOutcome:
        target = self._tenancy.target(request.tenant, request.username, caller)
        return await self._limiter.guarded(
            target,
            caller,
            "wrong_passwords_per_user",
            lambda: self._sign_in(target, request),
            {ErrorCode.NOT_AUTHORIZED},
        )

    async def _sign_in(self, target: Target, request: rq.SignIn) -> SignInOutcome:
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
        if must_prove_address(id_token_claims(result.id_token)):
            return await self._proof.hold(target, result)
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
        await self._partners.tell(target, EventType.USER_FIRST_SIGN_IN_COMPLETED)  # the invitation is taken
        return SignedIn(result)
