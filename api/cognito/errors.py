"""Cognito's refusals in the API's codes: the one error table, so every call maps errors the same way.

Cognito names a refusal by its exception name (`Error.Code` of the response) and reuses some names for
cases that only its message tells apart. No boto3 here: `translate` reads the error response that
botocore's ClientError carries, and a test can hand it any object with one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from api.cognito.port import ProviderError, ProviderErrorCode

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
    "ServiceUnavailable": ProviderErrorCode.UNAVAILABLE,
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


def translate(error: ServiceError) -> ProviderError:
    name = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    for rule_name, fragment, code in MESSAGE_RULES:
        if name == rule_name and fragment in message:
            return ProviderError(code)
    return ProviderError(ERRORS.get(name, ProviderErrorCode.UNEXPECTED))
