"""Cognito's refusals in the API's codes: the one error table, so every call maps errors the same way.

Cognito names a refusal by its exception name (`Error.Code` of the response) and reuses some names for
cases that only its message tells apart. No boto3 here: `translate` reads the error response that
botocore's ClientError carries, and a test can hand it any object with one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from api.cognito.port import ProviderError, ProviderErrorCode

# Refusals of the request rate: Cognito did nothing with the request, so it may be sent again at once.
THROTTLED = frozenset(
    {"ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded"}
)

# Cognito's exception name -> the API's code.
ERRORS: Mapping[str, ProviderErrorCode] = {
    "NotAuthorizedException": ProviderErrorCode.NOT_AUTHORIZED,
    "UserNotFoundException": ProviderErrorCode.USER_NOT_FOUND,
    "UsernameExistsException": ProviderErrorCode.USERNAME_EXISTS,
    "AliasExistsException": ProviderErrorCode.USERNAME_EXISTS,
    "UserNotConfirmedException": ProviderErrorCode.USER_NOT_CONFIRMED,
    "CodeMismatchException": ProviderErrorCode.CODE_MISMATCH,
    "ExpiredCodeException": ProviderErrorCode.CODE_EXPIRED,
    "InvalidPasswordException": ProviderErrorCode.INVALID_PASSWORD,
    "InvalidParameterException": ProviderErrorCode.INVALID_PARAMETER,
    "TooManyFailedAttemptsException": ProviderErrorCode.TOO_MANY_ATTEMPTS,
    # A request-rate quota of the account, not something the user did: the service is busy.
    "TooManyRequestsException": ProviderErrorCode.UNAVAILABLE,
    "LimitExceededException": ProviderErrorCode.UNAVAILABLE,
    "PasswordResetRequiredException": ProviderErrorCode.PASSWORD_RESET_REQUIRED,
    "CodeDeliveryFailureException": ProviderErrorCode.UNAVAILABLE,
    "InternalErrorException": ProviderErrorCode.UNAVAILABLE,
    "InternalFailure": ProviderErrorCode.UNAVAILABLE,
    "ServiceUnavailable": ProviderErrorCode.UNAVAILABLE,
    "ServiceUnavailableException": ProviderErrorCode.UNAVAILABLE,
    **dict.fromkeys(THROTTLED, ProviderErrorCode.UNAVAILABLE),
    # The policy names a pool or app client the endpoint does not have: nothing the caller can change, and
    # nothing to tell them beyond "not now" (the adapter logs it as the operator's error).
    "ResourceNotFoundException": ProviderErrorCode.UNAVAILABLE,
}
# Cognito reuses NotAuthorized/InvalidParameter for several cases that only its message tells apart.
MESSAGE_RULES: Sequence[tuple[str, str, ProviderErrorCode]] = (
    ("NotAuthorizedException", "Temporary password has expired", ProviderErrorCode.INVITATION_EXPIRED),
    ("NotAuthorizedException", "SignUp is not permitted", ProviderErrorCode.SELF_SIGNUP_DISABLED),
    ("NotAuthorizedException", "Invalid session", ProviderErrorCode.INVALID_SESSION),
    ("NotAuthorizedException", "User cannot be confirmed", ProviderErrorCode.ALREADY_CONFIRMED),
    ("InvalidParameterException", "already confirmed", ProviderErrorCode.ALREADY_CONFIRMED),
    ("InvalidParameterException", "Can't resend confirmation code", ProviderErrorCode.ALREADY_CONFIRMED),
    ("LimitExceededException", "Attempt limit exceeded", ProviderErrorCode.TOO_MANY_ATTEMPTS),
    # A wrong or missing client secret is regapi's configuration, never the user's credentials.
    ("NotAuthorizedException", "secret hash", ProviderErrorCode.MISCONFIGURED),
    ("NotAuthorizedException", "configured for secret", ProviderErrorCode.MISCONFIGURED),
)


class ServiceError(Protocol):
    """A refusal as botocore reports it: ClientError's `response` holds `{"Error": {"Code", "Message"}}`."""

    @property
    def response(self) -> Mapping[str, Any]: ...


def error_name(error: ServiceError) -> str:
    name = error.response.get("Error", {}).get("Code", "")
    return name if isinstance(name, str) else ""


def http_status(error: ServiceError) -> int:
    """The HTTP status of the answer (0 when botocore did not record one)."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return status if isinstance(status, int) else 0


def translate(error: ServiceError) -> ProviderError:
    name = error_name(error)
    message = error.response.get("Error", {}).get("Message", "")
    for rule_name, fragment, code in MESSAGE_RULES:
        if name == rule_name and fragment in message:
            return ProviderError(code)
    if name in ERRORS:
        return ProviderError(ERRORS[name])
    # A name no rule knows, on an answer that says the service failed or is overloaded (a load balancer's
    # 502 or 503 page, say, which botocore names by its status): unavailable, not the caller's fault.
    status = http_status(error)
    if status >= 500 or status == 429:
        return ProviderError(ProviderErrorCode.UNAVAILABLE)
    return ProviderError(ProviderErrorCode.UNEXPECTED)
