"""What a use case answers: a success of its kind, a policy denial, or a failure with a stable code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from api.cognito.port import Tokens
from api.policy import Decision, Operation


class ErrorCode(StrEnum):
    """Stable codes clients switch on; messages are for people and may change. Never rename one."""

    POLICY_VIOLATION = "POLICY_VIOLATION"
    SELF_SIGNUP_DISABLED = "SELF_SIGNUP_DISABLED"
    TENANT_NOT_FOUND = "TENANT_NOT_FOUND"
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    USERNAME_EXISTS = "USERNAME_EXISTS"
    # Public paths answer these two only where prevent_user_existence_errors is false; admin paths
    # (whose caller holds the tenant's key) always may.
    USER_NOT_FOUND = "USER_NOT_FOUND"
    ALREADY_CONFIRMED = "ALREADY_CONFIRMED"
    USER_NOT_CONFIRMED = "USER_NOT_CONFIRMED"
    CODE_MISMATCH = "CODE_MISMATCH"
    CODE_EXPIRED = "CODE_EXPIRED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    PASSWORD_RESET_REQUIRED = "PASSWORD_RESET_REQUIRED"
    INVALID_PASSWORD = "INVALID_PASSWORD"
    INVALID_SESSION = "INVALID_SESSION"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # A user's access token has expired: refresh the tokens, then send the request again.
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    # A listing's `after` is not a cursor it gave out (or was given for another tenant or filter).
    INVALID_CURSOR = "INVALID_CURSOR"
    # replayWebhookDelivery: no dead letter (FAILED delivery) of this tenant has this id.
    DELIVERY_NOT_FOUND = "DELIVERY_NOT_FOUND"


class UserStatus(StrEnum):
    """Cognito's user statuses. A status Cognito adds later is UNKNOWN, not an unexpected error."""

    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"
    RESET_REQUIRED = "RESET_REQUIRED"
    ARCHIVED = "ARCHIVED"
    COMPROMISED = "COMPROMISED"
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def _missing_(cls, value: object) -> UserStatus:
        return cls.UNKNOWN


class SignUpStep(StrEnum):
    """Amplify v6's names for what a client does after signUp."""

    CONFIRM_SIGN_UP = "CONFIRM_SIGN_UP"
    AWAIT_APPROVAL = "AWAIT_APPROVAL"
    DONE = "DONE"


class ResetPasswordStep(StrEnum):
    """Amplify v6's names for what a client does after resetPassword and confirmResetPassword."""

    CONFIRM_RESET_PASSWORD_WITH_CODE = "CONFIRM_RESET_PASSWORD_WITH_CODE"
    DONE = "DONE"


class DeliveryMedium(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    EXPIRED = "EXPIRED"
    ACCEPTED = "ACCEPTED"


@dataclass(frozen=True, slots=True)
class Failure:
    code: ErrorCode
    message: str
    field: str | None = None
    retry_after_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Denied:
    decision: Decision

    @property
    def code(self) -> ErrorCode:
        return ErrorCode.SELF_SIGNUP_DISABLED if self.decision.self_signup_disabled else ErrorCode.POLICY_VIOLATION

    @property
    def message(self) -> str:
        if self.decision.self_signup_disabled:
            return "Self sign-up is disabled for this tenant; ask an administrator for an invitation."
        count = len(self.decision.violations)
        return f"The request breaks {count} rule{'s' if count != 1 else ''} of this tenant's policy."


@dataclass(frozen=True, slots=True)
class Delivery:
    medium: DeliveryMedium
    destination: str


@dataclass(frozen=True, slots=True)
class FormField:
    attribute: str
    required: bool
    writable: bool
    immutable: bool
    already_set: bool
    input_type: str
    pattern: str | None = None
    max_length: int | None = None
    options: tuple[str, ...] | None = None
    value: str | None = None  # the current value, shown locked, when already_set


@dataclass(frozen=True, slots=True)
class PasswordRules:
    min_length: int
    require_lowercase: bool
    require_uppercase: bool
    require_digits: bool
    require_symbols: bool


@dataclass(frozen=True, slots=True)
class Form:
    tenant: str
    operation: Operation
    enabled: bool
    username_kind: str  # email | username
    password: PasswordRules
    fields: tuple[FormField, ...]
    revision: str


@dataclass(frozen=True, slots=True)
class Invited:
    username: str
    user_status: UserStatus
    temporary_password_expires_at: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    username: str
    status: InvitationStatus
    user_status: UserStatus
    invited_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class InvitationResent:
    username: str
    temporary_password_expires_at: datetime


@dataclass(frozen=True, slots=True)
class PendingSignUp:
    username: str
    requested_at: datetime
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SignUpDecided:
    """An administrator approved or rejected (deleted) a sign-up; user_status is the user's after an
    approval, and the one it had when it was deleted after a rejection."""

    username: str
    user_status: UserStatus


@dataclass(frozen=True, slots=True)
class SignedUp:
    next_step: SignUpStep
    delivery: Delivery | None


@dataclass(frozen=True, slots=True)
class Confirmed:
    user_status: UserStatus


@dataclass(frozen=True, slots=True)
class CodeResent:
    delivery: Delivery


@dataclass(frozen=True, slots=True)
class SignedIn:
    tokens: Tokens


@dataclass(frozen=True, slots=True)
class PasswordChangeRequired:
    session: str = field(repr=False)
    form: Form


@dataclass(frozen=True, slots=True)
class AddressProofRequired:
    """Signed in, tokens held back: the code just sent to the address must come back (confirmSignIn)."""

    session: str = field(repr=False)
    delivery: Delivery | None


@dataclass(frozen=True, slots=True)
class ResetStarted:
    """forgotPassword: a code is on its way (where the tenant hides existence, whether or not it is)."""

    next_step: ResetPasswordStep
    delivery: Delivery | None


@dataclass(frozen=True, slots=True)
class PasswordReset:
    next_step: ResetPasswordStep = ResetPasswordStep.DONE


@dataclass(frozen=True, slots=True)
class UserAdministered:
    """An administrator's action on one user, and the user's state after it."""

    username: str
    user_status: UserStatus
    enabled: bool


@dataclass(frozen=True, slots=True)
class Profile:
    """The signed-in user as they may see themselves, and what they may change (the PROFILE_UPDATE form)."""

    tenant: str
    username: str
    user_status: UserStatus
    attributes: tuple[tuple[str, str], ...]
    form: Form


@dataclass(frozen=True, slots=True)
class ProfileUpdated:
    profile: Profile
    deliveries: tuple[Delivery, ...]  # codes sent to verify changed addresses


@dataclass(frozen=True, slots=True)
class Done:
    """A call that answers nothing but that it was done (verifyUserAttribute, changePassword, signOut)."""

    done: bool = True


@dataclass(frozen=True, slots=True)
class UserSummary:
    username: str
    user_status: UserStatus
    enabled: bool
    created_at: datetime
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class UserList:
    users: tuple[UserSummary, ...]
    next_cursor: str | None
