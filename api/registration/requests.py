"""The use cases' inputs, independent of GraphQL: what a caller asked for, and who the caller is."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.policy import Operation
from api.registration.outcomes import UserStatus

Attributes = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the Authorization header, which admin operations check, and the browser origin
    of the page that sent the request (None for servers and for the API's own pages)."""

    authorization: str | None = field(default=None, repr=False)
    origin: str | None = None
    address: str = "unknown"  # the client's address (X-Forwarded-For only from trusted proxies)


ANONYMOUS = Caller()
MAX_CODE_LENGTH = 2048  # Cognito's limit for a confirmation, reset or verification code


def plausible_code(code: str) -> bool:
    """Whether a code is worth a call to Cognito: any code Cognito could have sent fits."""
    return 0 < len(code) <= MAX_CODE_LENGTH and not any(c.isspace() for c in code)


@dataclass(frozen=True, slots=True)
class FormRequest:
    tenant: str
    operation: Operation


@dataclass(frozen=True, slots=True)
class InviteUser:
    tenant: str
    username: str
    attributes: Attributes


@dataclass(frozen=True, slots=True)
class ResendInvitation:
    tenant: str
    username: str


@dataclass(frozen=True, slots=True)
class DecideSignUp:
    """approveSignUp (approve=True) or rejectSignUp."""

    tenant: str
    username: str
    approve: bool


@dataclass(frozen=True, slots=True)
class InvitationQuery:
    """One invitation (username set) or all of a tenant's, optionally of one status."""

    tenant: str
    username: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class SignUp:
    tenant: str
    username: str
    password: str = field(repr=False)
    attributes: Attributes


@dataclass(frozen=True, slots=True)
class ConfirmSignUp:
    tenant: str
    username: str
    code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ResendConfirmationCode:
    tenant: str
    username: str


@dataclass(frozen=True, slots=True)
class SignIn:
    tenant: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RespondToNewPasswordChallenge:
    tenant: str
    username: str
    session: str = field(repr=False)
    new_password: str = field(repr=False)
    attributes: Attributes = ()


@dataclass(frozen=True, slots=True)
class Explain:
    """A dry run: what the policy would decide, with no call to the identity provider."""

    tenant: str
    operation: Operation
    attributes: Attributes = ()
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    existing_attributes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ForgotPassword:
    tenant: str
    username: str


@dataclass(frozen=True, slots=True)
class ConfirmForgotPassword:
    tenant: str
    username: str
    code: str = field(repr=False)
    new_password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AdminUser:
    """An administrator's action on one user of the tenant."""

    tenant: str
    username: str


@dataclass(frozen=True, slots=True)
class UpdateAttributes:
    tenant: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class VerifyAttribute:
    tenant: str
    attribute: str
    code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ChangePassword:
    tenant: str
    previous_password: str = field(repr=False)
    proposed_password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class RefreshTokens:
    tenant: str
    username: str
    refresh_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class UserQuery:
    tenant: str
    status: UserStatus | None = None
    first: int | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True)
class AdminUpdateAttributes:
    tenant: str
    username: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ConfirmSignIn:
    tenant: str
    username: str
    session: str = field(repr=False)
    code: str = field(repr=False)
