"""GraphQL output types and enums: the frontends' contract, exported to schema.graphql. Never rename."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.registration import (
    DeliveryMedium,
    ErrorCode,
    InvitationStatus,
    Operation,
    ResetPasswordStep,
    SignUpStep,
    UserStatus,
    ViolationCode,
)

__all__ = [
    "DeliveryMedium",
    "ErrorCode",
    "InvitationStatus",
    "Operation",
    "ResetPasswordStep",
    "SignUpStep",
    "UserStatus",
    "ViolationCode",
]

# The use cases' enums are the single source of the codes; GraphQL only gives them their names.
strawberry.enum(ErrorCode, name="ErrorCode")
strawberry.enum(ViolationCode, name="ViolationCode")
strawberry.enum(Operation, name="RegistrationOperation")
strawberry.enum(UserStatus, name="UserStatus")
strawberry.enum(SignUpStep, name="SignUpStep")
strawberry.enum(DeliveryMedium, name="DeliveryMedium")
strawberry.enum(InvitationStatus, name="InvitationStatus")
strawberry.enum(ResetPasswordStep, name="ResetPasswordStep")


@strawberry.enum
class UsernameKind(Enum):
    EMAIL = "email"
    USERNAME = "username"


@strawberry.type
class Invitation:
    username: str
    status: InvitationStatus
    user_status: UserStatus
    invited_at: datetime
    expires_at: datetime = strawberry.field(description="When the current temporary password stops working.")


@strawberry.type
class UserAttribute:
    name: str
    value: str


@strawberry.type
class PendingSignUp:
    username: str
    requested_at: datetime
    attributes: list[UserAttribute]


@strawberry.type
class ApproveSignUpSuccess:
    username: str
    user_status: UserStatus


@strawberry.type
class RejectSignUpSuccess:
    username: str


@strawberry.type
class ResendInvitationSuccess:
    username: str
    temporary_password_expires_at: datetime


@strawberry.type
class Violation:
    code: ViolationCode
    field: str
    attribute: str | None
    message: str


@strawberry.type
class PolicyDenied:
    code: ErrorCode
    message: str
    violations: list[Violation]
    policy_revision: str


@strawberry.type(name="Decision", description="What the policy decides for a request, and why.")
class DecisionType:
    allowed: bool
    tenant: strawberry.ID
    operation: Operation
    violations: list[Violation]
    policy_revision: str

    @strawberry.field(description="The same as policyRevision, the name `regapi policy explain` prints.")  # type: ignore[untyped-decorator]
    def revision(self) -> str:
        return self.policy_revision


@strawberry.type
class RegistrationError:
    code: ErrorCode
    message: str
    field: str | None = None
    retry_after_seconds: int | None = None


@strawberry.type
class CodeDelivery:
    medium: DeliveryMedium
    destination: str = strawberry.field(description="Masked, such as a***@e***.")


@strawberry.type
class PasswordPolicy:
    min_length: int
    require_lowercase: bool
    require_uppercase: bool
    require_digits: bool
    require_symbols: bool


@strawberry.type
class FormField:
    attribute: str
    required: bool
    writable: bool
    immutable: bool
    already_set: bool = strawberry.field(
        description="First-login form: set at invite, shown locked, must not be sent again."
    )
    input_type: str
    pattern: str | None
    max_length: int | None
    options: list[str] | None
    value: str | None = strawberry.field(description="The current value of an alreadySet attribute.")


@strawberry.type
class RegistrationForm:
    tenant: strawberry.ID
    operation: Operation
    enabled: bool = strawberry.field(description="False for SIGN_UP on an admin-invite-only tenant.")
    username_kind: UsernameKind
    password_policy: PasswordPolicy
    fields: list[FormField]
    policy_revision: str


@strawberry.type
class AuthTokens:
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int
    token_type: str


@strawberry.type
class InviteUserSuccess:
    username: str
    user_status: UserStatus
    temporary_password_expires_at: datetime


@strawberry.type
class SignUpSuccess:
    next_step: SignUpStep
    code_delivery: CodeDelivery | None


@strawberry.type
class ConfirmSignUpSuccess:
    user_status: UserStatus


@strawberry.type
class ResendConfirmationCodeSuccess:
    code_delivery: CodeDelivery


@strawberry.type
class ForgotPasswordSuccess:
    next_step: ResetPasswordStep
    code_delivery: CodeDelivery | None


@strawberry.type
class ConfirmForgotPasswordSuccess:
    next_step: ResetPasswordStep


@strawberry.type(description="An administrator's action on one user, and the user's state after it.")
class AdminUserSuccess:
    username: str
    user_status: UserStatus
    enabled: bool


@strawberry.type
class NewPasswordRequired:
    session: str
    form: RegistrationForm


@strawberry.type
class SignInSuccess:
    tokens: AuthTokens


@strawberry.type(description="The signed-in user, and the PROFILE_UPDATE form: what they may change.")
class Profile:
    tenant: strawberry.ID
    username: str
    user_status: UserStatus
    attributes: list[UserAttribute]
    form: RegistrationForm


@strawberry.type
class UpdateUserAttributesSuccess:
    profile: Profile
    code_deliveries: list[CodeDelivery] = strawberry.field(description="Codes sent to verify changed addresses.")


@strawberry.type
class VerifyUserAttributeSuccess:
    attribute: str
    verified: bool


@strawberry.type
class ChangePasswordSuccess:
    changed: bool


@strawberry.type(description="Signed out on every device: refresh tokens revoked, access tokens refused.")
class SignOutSuccess:
    signed_out: bool


@strawberry.type
class UserSummary:
    username: str
    user_status: UserStatus
    enabled: bool
    created_at: datetime
    attributes: list[UserAttribute]


@strawberry.type(description="One page of the tenant's users; nextCursor (as `after`) gives the next, null at the end.")
class UserList:
    users: list[UserSummary]
    next_cursor: str | None


@strawberry.type
class AdminUpdateUserAttributesSuccess:
    user: UserSummary


@strawberry.type(description="Signed in, tokens held back: send the code just sent to the address with confirmSignIn.")
class AddressVerificationRequired:
    session: str
    code_delivery: CodeDelivery | None
