"""The identity provider as the use cases see it: a Protocol and plain data, standard library only.

The registration layer depends on this module and never on boto3, so it reads the same whether the
provider is real Cognito, the embedded one, or any Cognito-compatible endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PoolBinding:
    """Where one tenant's users live: a user pool and the app client regapi talks through."""

    name: str
    user_pool_id: str
    client_id: str
    # Only set for confidential app clients; used to compute SECRET_HASH and never sent to a browser.
    client_secret: str | None = field(default=None, repr=False)


class ProviderErrorCode(StrEnum):
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    USERNAME_EXISTS = "USERNAME_EXISTS"
    SELF_SIGNUP_DISABLED = "SELF_SIGNUP_DISABLED"
    ALREADY_CONFIRMED = "ALREADY_CONFIRMED"
    USER_NOT_CONFIRMED = "USER_NOT_CONFIRMED"
    CODE_MISMATCH = "CODE_MISMATCH"
    CODE_EXPIRED = "CODE_EXPIRED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVALID_PASSWORD = "INVALID_PASSWORD"
    INVALID_PARAMETER = "INVALID_PARAMETER"
    INVALID_SESSION = "INVALID_SESSION"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    PASSWORD_RESET_REQUIRED = "PASSWORD_RESET_REQUIRED"
    MISCONFIGURED = "MISCONFIGURED"
    UNAVAILABLE = "UNAVAILABLE"
    UNEXPECTED = "UNEXPECTED"


class ProviderError(Exception):
    """An expected refusal from the provider, already translated to a stable code.

    The provider's message is not kept: it may name the user, and the code says what a caller needs.
    """

    def __init__(self, code: ProviderErrorCode, *, retry_after: int | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        # Whole seconds until the call may succeed, where regapi knows (its own quota bucket refused it).
        self.retry_after = retry_after


def mask_destination(value: str) -> str:
    """Cognito's masked destination: a***@e*** for an e-mail address, +*******1234 for a phone number."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(value) - 5, 3) + value[-4:]


@dataclass(frozen=True, slots=True)
class CodeDeliveryDetails:
    medium: str  # EMAIL | SMS
    destination: str  # masked by the provider


@dataclass(frozen=True, slots=True)
class SignUpResult:
    # No delivery details: regapi answers with its own mask of the address the caller sent, so a new and
    # an existing username get the same answer.
    user_confirmed: bool
    sub: str | None = None  # Cognito's id of the new user (UserSub), for partners' events


@dataclass(frozen=True, slots=True)
class CreatedUser:
    username: str
    status: str
    created_at: datetime
    sub: str | None = None  # Cognito's id of the user, for the audit event and partners' events


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as an administrator sees it (AdminGetUser, ListUsers)."""

    username: str
    status: str  # Cognito's UserStatus name
    attributes: Mapping[str, str]
    created_at: datetime
    modified_at: datetime
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class UserPage:
    """One page of a listing, and where the next begins (None: this was the last)."""

    users: tuple[UserRecord, ...]
    next_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Tokens:
    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int
    token_type: str


@dataclass(frozen=True, slots=True)
class NewPasswordChallenge:
    session: str = field(repr=False)
    # Attribute names (without the `userAttributes.` prefix) the pool needs before it accepts the answer.
    required_attributes: tuple[str, ...]
    # The user's current attributes, as Cognito hands them to the client.
    user_attributes: Mapping[str, str]


AuthResult = Tokens | NewPasswordChallenge


class AccountProvider(Protocol):
    """The calls of the account's life after registration. Each raises ProviderError for an expected refusal."""

    async def forgot_password(self, pool: PoolBinding, username: str) -> CodeDeliveryDetails | None:
        """A password reset code sent to the user's verified address."""
        ...

    async def confirm_forgot_password(self, pool: PoolBinding, username: str, code: str, new_password: str) -> None: ...

    async def admin_reset_password(self, pool: PoolBinding, username: str) -> None:
        """The user must reset their password (RESET_REQUIRED) and is sent a reset code."""
        ...

    async def get_user(self, pool: PoolBinding, access_token: str) -> UserRecord:
        """The token's user, as Cognito sees it now (a revoked token is refused: NOT_AUTHORIZED)."""
        ...

    async def update_user_attributes(
        self, pool: PoolBinding, access_token: str, attributes: Mapping[str, str]
    ) -> list[CodeDeliveryDetails]:
        """The codes sent to verify changed addresses."""
        ...

    async def verify_user_attribute(self, pool: PoolBinding, access_token: str, attribute: str, code: str) -> None: ...

    async def send_verification_code(
        self, pool: PoolBinding, access_token: str, attribute: str
    ) -> CodeDeliveryDetails | None:
        """A code sent to the attribute's address, for verify_user_attribute."""
        ...

    async def change_password(self, pool: PoolBinding, access_token: str, previous: str, proposed: str) -> None: ...

    async def refresh(self, pool: PoolBinding, username: str, refresh_token: str) -> Tokens: ...

    async def global_sign_out(self, pool: PoolBinding, access_token: str) -> None:
        """Every refresh token of the user revoked; the access tokens refused by Cognito from now on."""
        ...

    async def admin_update_user_attributes(
        self, pool: PoolBinding, username: str, attributes: Mapping[str, str]
    ) -> None: ...

    async def disable_user(self, pool: PoolBinding, username: str) -> None: ...

    async def users_page(
        self, pool: PoolBinding, *, limit: int, token: str | None = None, status: str | None = None
    ) -> UserPage: ...


class IdentityProvider(AccountProvider, Protocol):
    """The user-pool calls regapi makes (the registration ones here). Each raises ProviderError for an expected
    refusal."""

    async def admin_create_user(
        self, pool: PoolBinding, username: str, attributes: Mapping[str, str]
    ) -> CreatedUser: ...

    async def sign_up(
        self, pool: PoolBinding, username: str, password: str, attributes: Mapping[str, str]
    ) -> SignUpResult: ...

    async def confirm_sign_up(self, pool: PoolBinding, username: str, code: str) -> None: ...

    async def resend_confirmation_code(self, pool: PoolBinding, username: str) -> CodeDeliveryDetails | None: ...

    async def admin_get_user(self, pool: PoolBinding, username: str) -> UserRecord | None:
        """The user, or None when there is no such user."""
        ...

    async def list_users(self, pool: PoolBinding) -> list[UserRecord]:
        """Every user of the pool (an administrator's listing; it pages through the whole pool)."""
        ...

    async def create_disabled_user(
        self, pool: PoolBinding, username: str, password: str, attributes: Mapping[str, str]
    ) -> None:
        """A user with their own password who cannot sign in yet, and to whom nothing is sent: a sign-up
        awaiting approval. Raises USERNAME_EXISTS like SignUp. Sent again after an answer was lost, with
        the same attributes, it finishes the user its first try left half made."""
        ...

    async def enable_user(self, pool: PoolBinding, username: str, attributes: Mapping[str, str]) -> None:
        """Let a disabled user sign in, setting the given attributes first (an approval)."""
        ...

    async def delete_user(self, pool: PoolBinding, username: str) -> None: ...

    async def resend_invitation(self, pool: PoolBinding, username: str) -> CreatedUser:
        """A new temporary password and a fresh validity for an invited user (MessageAction=RESEND)."""
        ...

    async def initiate_auth(self, pool: PoolBinding, username: str, password: str) -> AuthResult: ...

    async def respond_to_new_password_challenge(
        self,
        pool: PoolBinding,
        username: str,
        session: str,
        new_password: str,
        attributes: Sequence[tuple[str, str]],
    ) -> AuthResult: ...


class KeySource(Protocol):
    """The JSON Web Key Set a pool signs its tokens with (`/.well-known/jwks.json`)."""

    async def jwks(self, pool: PoolBinding, *, refresh: bool = False) -> Mapping[str, Any]: ...

    def issuer(self, pool: PoolBinding) -> str:
        """The `iss` claim of the pool's tokens (where the endpoint is asked, known once `jwks` answered)."""
        ...


# The app client's AuthSessionValidity regapi provisions and assumes (Cognito's default): how long a
# challenge session (the first-login step) may be answered.
AUTH_SESSION_MINUTES = 3
