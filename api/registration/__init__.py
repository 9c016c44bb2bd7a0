"""Registration use cases: requests in, outcomes out, the policy engine always first."""

from api.cognito.port import Tokens
from api.policy import Decision, Operation, Violation, ViolationCode
from api.registration.outcomes import (
    CodeResent,
    Confirmed,
    Delivery,
    Denied,
    ErrorCode,
    Failure,
    Form,
    FormField,
    Invited,
    PasswordChangeRequired,
    SignedIn,
    SignedUp,
)
from api.registration.requests import (
    Caller,
    ConfirmSignUp,
    Explain,
    FormRequest,
    InviteUser,
    ResendConfirmationCode,
    RespondToNewPasswordChallenge,
    SignIn,
    SignUp,
)
from api.registration.service import RegistrationService, explain
from api.registration.sessions import SessionSealer

__all__ = [
    "Caller",
    "CodeResent",
    "ConfirmSignUp",
    "Confirmed",
    "Decision",
    "Delivery",
    "Denied",
    "ErrorCode",
    "Explain",
    "Failure",
    "Form",
    "FormField",
    "FormRequest",
    "InviteUser",
    "Invited",
    "Operation",
    "PasswordChangeRequired",
    "RegistrationService",
    "ResendConfirmationCode",
    "RespondToNewPasswordChallenge",
    "SessionSealer",
    "SignIn",
    "SignUp",
    "SignedIn",
    "SignedUp",
    "Tokens",
    "Violation",
    "ViolationCode",
    "explain",
]
