"""GraphQL inputs: the frontends' and partners' contract, exported to schema.graphql. Never rename."""

from __future__ import annotations

import strawberry

from api.schema.types import Operation


@strawberry.input
class AttributeInput:
    name: str
    value: str


@strawberry.input
class InviteUserInput:
    tenant: strawberry.ID
    username: str
    attributes: list[AttributeInput]


@strawberry.input
class ApproveSignUpInput:
    tenant: strawberry.ID
    username: str


@strawberry.input
class RejectSignUpInput:
    tenant: strawberry.ID
    username: str


@strawberry.input
class ResendInvitationInput:
    tenant: strawberry.ID
    username: str


@strawberry.input
class SignUpInput:
    tenant: strawberry.ID
    username: str
    password: str
    attributes: list[AttributeInput]


@strawberry.input
class ConfirmSignUpInput:
    tenant: strawberry.ID
    username: str
    code: str


@strawberry.input
class ResendConfirmationCodeInput:
    tenant: strawberry.ID
    username: str


@strawberry.input
class SignInInput:
    tenant: strawberry.ID
    username: str
    password: str


@strawberry.input
class RespondToNewPasswordChallengeInput:
    tenant: strawberry.ID
    username: str
    session: str
    new_password: str
    attributes: list[AttributeInput]


@strawberry.input
class ForgotPasswordInput:
    tenant: strawberry.ID
    username: str


@strawberry.input
class ConfirmForgotPasswordInput:
    tenant: strawberry.ID
    username: str
    code: str
    new_password: str


@strawberry.input
class AdminUserInput:
    tenant: strawberry.ID
    username: str


@strawberry.input
class UpdateUserAttributesInput:
    tenant: strawberry.ID
    attributes: list[AttributeInput]


@strawberry.input
class VerifyUserAttributeInput:
    tenant: strawberry.ID
    attribute: str
    code: str


@strawberry.input
class ChangePasswordInput:
    tenant: strawberry.ID
    previous_password: str
    proposed_password: str


@strawberry.input
class RefreshTokensInput:
    tenant: strawberry.ID
    username: str
    refresh_token: str


@strawberry.input
class SignOutInput:
    tenant: strawberry.ID


@strawberry.input
class AdminUpdateUserAttributesInput:
    tenant: strawberry.ID
    username: str
    attributes: list[AttributeInput]


@strawberry.input
class ConfirmSignInInput:
    tenant: strawberry.ID
    username: str
    session: str
    code: str


@strawberry.input
class ExplainRegistrationInput:
    tenant: strawberry.ID
    operation: Operation
    attributes: list[AttributeInput]
    username: str | None = None
    password: str | None = None
    existing_attributes: list[str] | None = strawberry.field(
        default=None, description="FIRST_SIGN_IN: the attributes the user already has."
    )


def attribute_pairs(attributes: list[AttributeInput]) -> tuple[tuple[str, str], ...]:
    return tuple((a.name, a.value) for a in attributes)
