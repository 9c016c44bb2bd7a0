"""Every way a use case refuses, in one catalogue, and the one mechanism by which a refusal leaves it.

A use case returns only its success; wherever it decides to stop, it raises `Refused`, which the
GraphQL layer catches at its boundary and answers as a `RegistrationError` or `PolicyDenied`.
Provider errors are translated here too, and so is the one rule that decides what an unknown user
looks like when the tenant hides user existence.
"""

from __future__ import annotations

import logging
from typing import NoReturn

from api.cognito.port import ProviderError, ProviderErrorCode
from api.observability import audit
from api.policy import Decision
from api.registration.outcomes import Denied, ErrorCode, Failure

log = logging.getLogger("regapi.registration")


class Refused(Exception):  # noqa: N818 - a refusal is an expected answer, not an error
    """A use case stops here and answers `outcome`: a Failure or a policy denial. `audited`: the code that
    refused wrote the request's audit event already, with what only it knew (the limit, the origin)."""

    def __init__(self, outcome: Failure | Denied, *, audited: bool = False) -> None:
        super().__init__(outcome.code.value)
        self.outcome = outcome
        self.audited = audited or isinstance(outcome, Denied)  # a denial's event is its decision


class UnexpectedProviderError(RuntimeError):
    """A provider answer no rule covers: surfaced as a masked top-level GraphQL error."""


# What the boundary of a use case catches: a refusal it raised, or a provider refusal no use case
# handled itself (a lookup that failed, Cognito throttling or down), which means the same everywhere.
REFUSALS = (Refused, ProviderError)


def outcome_of(error: Refused | ProviderError) -> Failure | Denied:
    """The answer for what the boundary caught; an unexplained provider refusal raises (masked). Every
    refusal leaves through here, so here each gets its audit event unless it has one."""
    if isinstance(error, Refused):
        if not error.audited and isinstance(error.outcome, Failure):
            _audit(error.outcome)
        return error.outcome
    failure = translate(error)
    _audit(failure)
    return failure


def _audit(failure: Failure) -> None:
    audit.event("refused", code=failure.code.value, field=failure.field)


def refuse(failure: Failure, *, audited: bool = False) -> NoReturn:
    raise Refused(failure, audited=audited)


def deny(decision: Decision) -> None:
    """Stop with the decision's violations unless the engine allowed the request."""
    if not decision.allowed:
        raise Refused(Denied(decision))


# ----------------------------------------------------------------------------------------- catalogue

WRONG_CREDENTIALS = Failure(ErrorCode.NOT_AUTHORIZED, "Incorrect username or password.")
WRONG_CODE = Failure(ErrorCode.CODE_MISMATCH, "Invalid verification code provided, please try again.", "code")
CODE_EXPIRED = Failure(ErrorCode.CODE_EXPIRED, "The code has expired; request a new one.", "code")
NO_SUCH_USER = Failure(ErrorCode.USER_NOT_FOUND, "No such user.", "username")
ALREADY_CONFIRMED = Failure(ErrorCode.ALREADY_CONFIRMED, "This user is not waiting for a code.", "username")
USER_NOT_CONFIRMED = Failure(ErrorCode.USER_NOT_CONFIRMED, "Confirm your account with the code sent to you.")
USERNAME_TAKEN = Failure(ErrorCode.USERNAME_EXISTS, "A user with this username exists already.", "username")
INVITATION_EXPIRED = Failure(
    ErrorCode.INVITATION_EXPIRED, "The invitation has expired; ask an administrator to send a new one."
)
INVALID_SESSION = Failure(ErrorCode.INVALID_SESSION, "The session is invalid or has expired; sign in again.", "session")
RESET_REFUSED = Failure(
    ErrorCode.NOT_AUTHORIZED, "This account cannot reset its password; ask an administrator.", "username"
)
NOT_SIGNED_IN = Failure(ErrorCode.NOT_AUTHORIZED, "A valid access token of a user of this tenant is required.")
TOKEN_EXPIRED = Failure(ErrorCode.TOKEN_EXPIRED, "The access token has expired; refresh the tokens and try again.")
WRONG_PASSWORD = Failure(ErrorCode.NOT_AUTHORIZED, "The previous password is not correct.", "previousPassword")
INVALID_CURSOR = Failure(ErrorCode.INVALID_CURSOR, "The cursor is not one this listing gave out.", "after")
NO_FAILED_DELIVERY = Failure(
    ErrorCode.DELIVERY_NOT_FOUND, "No failed webhook delivery of this tenant has this id (see webhookDeliveries).", "id"
)
AWAITS_APPROVAL = Failure(
    ErrorCode.POLICY_VIOLATION, "This sign-up awaits approval: approve it with approveSignUp.", "username"
)
NOT_ADMIN = Failure(ErrorCode.NOT_AUTHORIZED, "A valid API key or admin token of this tenant is required.")
ORIGIN_REFUSED = Failure(ErrorCode.NOT_AUTHORIZED, "Pages of this origin may not call this tenant.")
NO_INVITATION = Failure(ErrorCode.USER_NOT_FOUND, "No invitation of this tenant for this username.", "username")
INVITATION_ACCEPTED = Failure(ErrorCode.ALREADY_CONFIRMED, "The invitation was accepted already.", "username")
NO_PENDING_SIGN_UP = Failure(
    ErrorCode.USER_NOT_FOUND, "No sign-up of this tenant awaits approval under this name.", "username"
)
UNAVAILABLE = Failure(
    ErrorCode.SERVICE_UNAVAILABLE, "The identity service is unavailable; try again shortly.", retry_after_seconds=5
)
SELF_SIGNUP_DISABLED = Failure(ErrorCode.SELF_SIGNUP_DISABLED, "Self sign-up is disabled for this user pool.")
PASSWORD_RESET_REQUIRED = Failure(
    ErrorCode.PASSWORD_RESET_REQUIRED, "An administrator reset this password; reset it to go on."
)
# Cognito does not say for how long it locks; 15 minutes is the embedded Cognito's lockout.
PROVIDER_LOCKOUT_SECONDS = 900


def no_tenant(tenant: str) -> Failure:
    return Failure(ErrorCode.TENANT_NOT_FOUND, f"No tenant named {tenant!r}.", "tenant")


def too_many(wait: int) -> Failure:
    return Failure(ErrorCode.TOO_MANY_ATTEMPTS, "Too many attempts; try again later.", retry_after_seconds=wait)


def busy(wait: int) -> Failure:
    """regapi's share of Cognito's quota is spent for now: nothing was sent, and a token is due in `wait` s."""
    return Failure(
        ErrorCode.SERVICE_UNAVAILABLE, "The identity service is busy; try again shortly.", retry_after_seconds=wait
    )


def invalid_password(field: str) -> Failure:
    return Failure(ErrorCode.INVALID_PASSWORD, "The identity service refused this password.", field)


# ----------------------------------------------------------------------------------------- existence

# Refusals that mean "this user is unknown here, or not in the state the call needs".
EXISTENCE = frozenset({ProviderErrorCode.USER_NOT_FOUND, ProviderErrorCode.ALREADY_CONFIRMED})
_DISCLOSED = {
    ProviderErrorCode.USER_NOT_FOUND: NO_SUCH_USER,
    ProviderErrorCode.ALREADY_CONFIRMED: ALREADY_CONFIRMED,
    ProviderErrorCode.USERNAME_EXISTS: USERNAME_TAKEN,
}


def hide_existence(hides: bool, code: ProviderErrorCode = ProviderErrorCode.USER_NOT_FOUND) -> None:
    """The one rule for what a caller learns of whether a user exists. Where the tenant hides existence
    this returns, and the use case answers exactly as it does for the other case (a wrong code, a code
    "sent", a sign-up "made"); elsewhere it refuses with the code that names the case."""
    if not hides:
        refuse(_DISCLOSED[code])


# ----------------------------------------------------------------------------------------- translation


def translate(error: ProviderError) -> Failure:
    """Refusals whose meaning is the same in every use case; anything else is the operator's problem."""
    match error.code:
        case ProviderErrorCode.TOO_MANY_ATTEMPTS:
            return too_many(PROVIDER_LOCKOUT_SECONDS)
        case ProviderErrorCode.UNAVAILABLE:
            return UNAVAILABLE if error.retry_after is None else busy(error.retry_after)
        case ProviderErrorCode.INVALID_PASSWORD:
            return invalid_password("password")
        case ProviderErrorCode.SELF_SIGNUP_DISABLED:
            return SELF_SIGNUP_DISABLED
        case ProviderErrorCode.PASSWORD_RESET_REQUIRED:
            return PASSWORD_RESET_REQUIRED
    # Anything else (a wrong client secret, InvalidParameter on what the policy allowed) means the
    # configuration and the pool disagree: an operator's problem, not the caller's, so it is masked.
    log.error("identity provider refused unexpectedly: %s", error.code.value)
    raise UnexpectedProviderError(error.code.value) from error
