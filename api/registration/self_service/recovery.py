"""Password recovery: forgotPassword sends a reset code to the user's verified address, and
confirmForgotPassword sets the new password with it (Cognito's ForgotPassword and ConfirmForgotPassword).
It also ends an administrator's reset (adminResetPassword), after which sign-in answers
PASSWORD_RESET_REQUIRED until the user is through here.

The answer for an unknown user is the answer for a known one where the tenant hides existence: a code
"sent" to a destination computed from the username alone, and a wrong code. Requests are counted per
address and per username (`resets_per_user`), wrong codes per username (`wrong_codes_per_user`, the
budget confirmation codes spend too: one username, one budget for guessing codes).
"""

from __future__ import annotations

from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode
from api.events.model import EventType
from api.policy import PasswordOperation, is_valid_username
from api.policy.engine import PolicyRequest
from api.registration import requests as rq
from api.registration.existence import hidden_destination
from api.registration.failures import (
    CODE_EXPIRED,
    EXISTENCE,
    RESET_REFUSED,
    USER_NOT_CONFIRMED,
    WRONG_CODE,
    hide_existence,
    invalid_password,
    refuse,
    translate,
)
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import (
    Delivery,
    DeliveryMedium,
    ErrorCode,
    PasswordReset,
    ResetPasswordStep,
    ResetStarted,
)
from api.registration.partners import Partners
from api.registration.requests import ANONYMOUS
from api.registration.sessions import SessionSealer
from api.registration.tenancy import Target, Tenancy, decide

# What Cognito answers for a user it will not send a reset code to: disabled (NotAuthorized), or without a
# verified address, as an unconfirmed user is (InvalidParameter). Told only where existence is not hidden.
_NOT_RESETTABLE = {
    ProviderErrorCode.NOT_AUTHORIZED: RESET_REFUSED,
    ProviderErrorCode.INVALID_PARAMETER: USER_NOT_CONFIRMED,
}


class Recovery:
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

    async def forgot_password(self, request: rq.ForgotPassword, caller: rq.Caller = ANONYMOUS) -> ResetStarted:
        target = self._tenancy.target(request.tenant, request.username, caller)
        await self._limiter.count_send(target, caller, "resets_per_user")
        hidden = ResetStarted(
            ResetPasswordStep.CONFIRM_RESET_PASSWORD_WITH_CODE, hidden_destination(target, self._sealer)
        )
        if not is_valid_username(target.username) or not await self._tenancy.belongs(target):
            hide_existence(target.hides_existence)
            return hidden
        try:
            details = await self._provider.forgot_password(target.pool, target.username)
        except ProviderError as error:
            if error.code in EXISTENCE:
                hide_existence(target.hides_existence, error.code)
                return hidden
            if error.code in _NOT_RESETTABLE:
                if not target.hides_existence:
                    refuse(_NOT_RESETTABLE[error.code])
                return hidden
            refuse(translate(error))
        if target.hides_existence or details is None:
            return hidden
        return ResetStarted(
            ResetPasswordStep.CONFIRM_RESET_PASSWORD_WITH_CODE,
            Delivery(DeliveryMedium(details.medium), details.destination),
        )

    async def confirm_forgot_password(
        self, request: rq.ConfirmForgotPassword, caller: rq.Caller = ANONYMOUS
    ) -> PasswordReset:
        target = self._tenancy.target(request.tenant, request.username, caller)
        # The password's rules first: a weak password costs no code attempt, and the user may fix it.
        decide(target.policy, PolicyRequest(PasswordOperation.RESET, target.username, password=request.new_password))
        return await self._limiter.guarded(
            target, caller, "wrong_codes_per_user", lambda: self._confirm(target, request), {ErrorCode.CODE_MISMATCH}
        )

    async def _confirm(self, target: Target, request: rq.ConfirmForgotPassword) -> PasswordReset:
        await self._tenancy.may_try_code(target, request.code)
        try:
            await self._provider.confirm_forgot_password(
                target.pool, target.username, request.code, request.new_password
            )
        except ProviderError as error:
            match error.code:
                case ProviderErrorCode.CODE_MISMATCH:
                    refuse(WRONG_CODE)
                case ProviderErrorCode.CODE_EXPIRED:
                    # Cognito also answers "expired" to a user who requested no code, where an unknown user
                    # gets "mismatch": where existence is hidden, both are a wrong code (and counted as one).
                    refuse(WRONG_CODE if target.hides_existence else CODE_EXPIRED)
                case ProviderErrorCode.INVALID_PASSWORD:
                    refuse(invalid_password("newPassword"))
                case code if code in EXISTENCE:
                    hide_existence(target.hides_existence, code)
                    refuse(WRONG_CODE)
                case ProviderErrorCode.NOT_AUTHORIZED:  # disabled: a wrong code, as for anyone, where hidden
                    refuse(WRONG_CODE if target.hides_existence else RESET_REFUSED)
            refuse(translate(error))
        # The new password is set (status CONFIRMED); an administrator's reset had its own event, RESET_REQUIRED.
        await self._partners.tell(target, EventType.USER_PASSWORD_RESET)
        return PasswordReset()
