"""Self sign-up: the form, signUp (with approval, and the replacement of a registration nobody confirmed),
confirmSignUp and resendConfirmationCode.

Each goes the same way: the tenant (and the page's origin), the attempt limits, the engine's decision,
and only then the identity provider. Where the tenant hides user existence (the default), an unknown
user's answer is made to look like anyone else's (`failures.hide_existence`).
"""

from __future__ import annotations

import time

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode, SignUpResult, mask_destination
from api.events.model import EventType
from api.policy import Operation, is_valid_username
from api.policy.engine import PolicyRequest
from api.registration import requests as rq
from api.registration.existence import SignUpTiming, hidden_destination
from api.registration.failures import (
    CODE_EXPIRED,
    EXISTENCE,
    WRONG_CODE,
    hide_existence,
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
    ErrorCode,
    Form,
    SignedUp,
    SignUpStep,
    UserStatus,
)
from api.registration.partners import Partners, new_user
from api.registration.requests import ANONYMOUS
from api.registration.sessions import SessionSealer
from api.registration.tenancy import KeyedLocks, Target, Tenancy, decide, new_user_attributes


class SignUps:
    def __init__(
        self,
        tenancy: Tenancy,
        provider: IdentityProvider,
        *,
        limiter: AttemptLimiter,
        sealer: SessionSealer,
        partners: Partners,
    ) -> None:
        self._tenancy = tenancy
        self._provider = provider
        self._limiter = limiter
        self._sealer = sealer
        self._partners = partners
        self._sign_up_timing = SignUpTiming()
        self._approval_timing = SignUpTiming()
        self._replacing = KeyedLocks()

    def form(self, request: rq.FormRequest, caller: rq.Caller = ANONYMOUS) -> Form:
        return build_form(self._tenancy.policy(request.tenant, caller), request.operation)

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
            replaced = await self._replace_pending(target, request.password, attributes)
            if replaced is not None:  # a new registration of the name, with a sub of its own
                await self._signed_up(target, replaced, attributes)
                return SignedUp(SignUpStep.CONFIRM_SIGN_UP, sent_to)
            # Nothing happened (the name is taken): no event, whatever the caller is told.
            hide_existence(target.hides_existence, error.code)
            await self._sign_up_timing.pad(started)
            return SignedUp(SignUpStep.CONFIRM_SIGN_UP, sent_to)
        await self._signed_up(target, result, attributes)
        # The event's queueing counted in: a taken name's answer is padded to this, publishing included.
        self._sign_up_timing.add(time.monotonic() - started)
        if result.user_confirmed:
            return SignedUp(SignUpStep.DONE, None)
        return SignedUp(SignUpStep.CONFIRM_SIGN_UP, sent_to)

    async def _signed_up(self, target: Target, result: SignUpResult, attributes: dict[str, str]) -> None:
        status = UserStatus.CONFIRMED if result.user_confirmed else UserStatus.UNCONFIRMED
        user = new_user(target.username, result.sub, status.value, attributes)
        await self._partners.tell(target, EventType.USER_SIGNED_UP, user)

    async def _replace_pending(self, target: Target, password: str, attributes: dict[str, str]) -> SignUpResult | None:
        """A sign-up for a name whose registration is still unconfirmed replaces that registration: the
        account goes to whoever proves the mailbox, with the password and attributes of the sign-up they
        confirm, never to whoever registered the name first (account pre-hijacking). The older
        registration and its codes are gone; a fresh code is sent. Whether it was replaced is never told.
        Held under the user's lock, which confirmation takes too, so a confirmation cannot land between
        the lookup and the deletion (within this process; see the README for several). Returns the new
        registration, or None when there was nothing to replace."""
        async with self._replacing.lock(target):
            user = await self._provider.admin_get_user(target.pool, target.username)
            if user is None or not target.owns(user) or not user.enabled:
                return None
            # No per-username budget here: a budget anyone can spend (by resends, or by signing the name
            # up again) would let an attacker switch the replacement off before the owner signs up. The
            # sign-up limits per address and per tenant bound how many codes this sends.
            if UserStatus(user.status) is not UserStatus.UNCONFIRMED:
                return None
            await self._provider.delete_user(target.pool, target.username)
            try:
                return await self._provider.sign_up(target.pool, target.username, password, attributes)
            except ProviderError as error:
                if error.code is ProviderErrorCode.USERNAME_EXISTS:
                    return None  # another sign-up took the name in between
                raise

    async def _sign_up_for_approval(self, target: Target, password: str, attributes: dict[str, str]) -> SignedUp:
        """No code is sent, and the user cannot sign in, until an administrator approves."""
        started = time.monotonic()
        try:
            await self._provider.create_disabled_user(target.pool, target.username, password, attributes)
        except ProviderError as error:
            if error.code is not ProviderErrorCode.USERNAME_EXISTS:
                refuse(translate(error))
            hide_existence(target.hides_existence, error.code)
            # The name is taken: nothing happened, no event; the answer waits as long as a new name's would.
            await self._approval_timing.pad(started)
            return SignedUp(SignUpStep.AWAIT_APPROVAL, None)
        # Cognito's record (CONFIRMED: the password is set; not enabled until approved) gives the sub.
        await self._partners.tell(target, EventType.USER_SIGNED_UP)
        # Its own average: these calls (create, disable, set the password, read back) are not SignUp's.
        self._approval_timing.add(time.monotonic() - started)
        return SignedUp(SignUpStep.AWAIT_APPROVAL, None)

    async def confirm_sign_up(self, request: rq.ConfirmSignUp, caller: rq.Caller = ANONYMOUS) -> Confirmed:
        target = self._tenancy.target(request.tenant, request.username, caller)
        return await self._limiter.guarded(
            target, caller, "wrong_codes_per_user", lambda: self._confirm(target, request), {ErrorCode.CODE_MISMATCH}
        )

    async def _confirm(self, target: Target, request: rq.ConfirmSignUp) -> Confirmed:
        await self._tenancy.may_try_code(target, request.code)
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
        await self._partners.tell(target, EventType.USER_CONFIRMED)
        return Confirmed(UserStatus.CONFIRMED)

    async def resend_confirmation_code(
        self, request: rq.ResendConfirmationCode, caller: rq.Caller = ANONYMOUS
    ) -> CodeResent:
        target = self._tenancy.target(request.tenant, request.username, caller)
        await self._limiter.count_send(target, caller)
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
