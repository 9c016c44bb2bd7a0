"""Use-case outcomes -> GraphQL payload types. The only place that knows both shapes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry

from api.registration import (
    AddressProofRequired,
    CodeResent,
    Confirmed,
    Decision,
    Delivery,
    Denied,
    Failure,
    Form,
    Invitation,
    InvitationResent,
    Invited,
    PasswordChangeRequired,
    PasswordReset,
    PendingSignUp,
    Profile,
    ProfileUpdated,
    ResetStarted,
    SignedIn,
    SignedUp,
    SignUpDecided,
    UserAdministered,
    UserList,
    UserSummary,
)
from api.registration.failures import REFUSALS, outcome_of
from api.schema import types as t
from api.schema.errors import PublicError

InviteUserResult = Annotated[
    t.InviteUserSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("InviteUserResult")
]
ResendInvitationResult = Annotated[
    t.ResendInvitationSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("ResendInvitationResult")
]
ApproveSignUpResult = Annotated[
    t.ApproveSignUpSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("ApproveSignUpResult")
]
RejectSignUpResult = Annotated[
    t.RejectSignUpSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("RejectSignUpResult")
]
SignUpResult = Annotated[t.SignUpSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("SignUpResult")]
ConfirmSignUpResult = Annotated[
    t.ConfirmSignUpSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("ConfirmSignUpResult")
]
ResendConfirmationCodeResult = Annotated[
    t.ResendConfirmationCodeSuccess | t.PolicyDenied | t.RegistrationError,
    strawberry.union("ResendConfirmationCodeResult"),
]
SignInResult = Annotated[
    t.SignInSuccess | t.NewPasswordRequired | t.AddressVerificationRequired | t.PolicyDenied | t.RegistrationError,
    strawberry.union("SignInResult"),
]
ConfirmSignInResult = Annotated[
    t.SignInSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("ConfirmSignInResult")
]
RespondToNewPasswordChallengeResult = Annotated[
    t.SignInSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("RespondToNewPasswordChallengeResult")
]

ForgotPasswordResult = Annotated[
    t.ForgotPasswordSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("ForgotPasswordResult")
]
ConfirmForgotPasswordResult = Annotated[
    t.ConfirmForgotPasswordSuccess | t.PolicyDenied | t.RegistrationError,
    strawberry.union("ConfirmForgotPasswordResult"),
]
AdminUserResult = Annotated[
    t.AdminUserSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("AdminUserResult")
]
MeResult = Annotated[t.Profile | t.RegistrationError, strawberry.union("MeResult")]
UpdateUserAttributesResult = Annotated[
    t.UpdateUserAttributesSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("UpdateUserAttributesResult")
]
VerifyUserAttributeResult = Annotated[
    t.VerifyUserAttributeSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("VerifyUserAttributeResult")
]
ChangePasswordResult = Annotated[
    t.ChangePasswordSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("ChangePasswordResult")
]
RefreshTokensResult = Annotated[t.SignInSuccess | t.RegistrationError, strawberry.union("RefreshTokensResult")]
SignOutResult = Annotated[t.SignOutSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("SignOutResult")]
UsersResult = Annotated[t.UserList | t.RegistrationError, strawberry.union("UsersResult")]
AdminUpdateUserAttributesResult = Annotated[
    t.AdminUpdateUserAttributesSuccess | t.PolicyDenied | t.RegistrationError,
    strawberry.union("AdminUpdateUserAttributesResult"),
]
Refusal = t.PolicyDenied | t.RegistrationError
_T = TypeVar("_T")
_R = TypeVar("_R")


async def answer(call: Awaitable[_T], success: Callable[[_T], _R]) -> _R | Refusal:
    """The boundary of a mutation: its success as a payload, or the refusal it raised as data."""
    try:
        return success(await call)
    except REFUSALS as error:
        return refusal(outcome_of(error))


async def answer_undenied(call: Awaitable[_T], success: Callable[[_T], _R]) -> _R | t.RegistrationError:
    """The boundary of a call whose union has no PolicyDenied: it decides nothing, so it cannot be denied."""
    result = await answer(call, success)
    if isinstance(result, t.PolicyDenied):
        raise RuntimeError("a call that decides nothing was denied")  # masked: a bug, not an answer
    return result


async def value(call: Awaitable[_T]) -> _T:
    """The boundary of a query that returns no union: a refusal is a top-level error with its code."""
    try:
        return await call
    except REFUSALS as error:
        raise public_error(outcome_of(error)) from None


def public_error(outcome: Failure | Denied) -> PublicError:
    wait = outcome.retry_after_seconds if isinstance(outcome, Failure) else None
    return PublicError(outcome.message, outcome.code.value, retry_after_seconds=wait)


def refusal(outcome: Denied | Failure) -> Refusal:
    if isinstance(outcome, Failure):
        return t.RegistrationError(
            code=outcome.code,
            message=outcome.message,
            field=outcome.field,
            retry_after_seconds=outcome.retry_after_seconds,
        )
    return t.PolicyDenied(
        code=outcome.code,
        message=outcome.message,
        violations=violations(outcome.decision),
        policy_revision=outcome.decision.revision,
    )


def violations(decision: Decision) -> list[t.Violation]:
    return [
        t.Violation(code=v.code, field=v.field, attribute=v.attribute, message=v.message) for v in decision.violations
    ]


def decision(value: Decision) -> t.DecisionType:
    return t.DecisionType(
        allowed=value.allowed,
        tenant=strawberry.ID(value.tenant),
        operation=t.Operation(value.operation),
        violations=violations(value),
        policy_revision=value.revision,
    )


def form(value: Form) -> t.RegistrationForm:
    rules = value.password
    return t.RegistrationForm(
        tenant=strawberry.ID(value.tenant),
        operation=value.operation,
        enabled=value.enabled,
        username_kind=t.UsernameKind(value.username_kind),
        password_policy=t.PasswordPolicy(
            min_length=rules.min_length,
            require_lowercase=rules.require_lowercase,
            require_uppercase=rules.require_uppercase,
            require_digits=rules.require_digits,
            require_symbols=rules.require_symbols,
        ),
        fields=[
            t.FormField(
                attribute=f.attribute,
                required=f.required,
                writable=f.writable,
                immutable=f.immutable,
                already_set=f.already_set,
                input_type=f.input_type,
                pattern=f.pattern,
                max_length=f.max_length,
                options=list(f.options) if f.options is not None else None,
                value=f.value,
            )
            for f in value.fields
        ],
        policy_revision=value.revision,
    )


def delivery(value: Delivery) -> t.CodeDelivery:
    return t.CodeDelivery(medium=value.medium, destination=value.destination)


def tokens(value: SignedIn) -> t.SignInSuccess:
    tk = value.tokens
    return t.SignInSuccess(
        tokens=t.AuthTokens(
            id_token=tk.id_token,
            access_token=tk.access_token,
            refresh_token=tk.refresh_token,
            expires_in=tk.expires_in,
            token_type=tk.token_type,
        )
    )


def invited(value: Invited) -> t.InviteUserSuccess:
    return t.InviteUserSuccess(
        username=value.username,
        user_status=value.user_status,
        temporary_password_expires_at=value.temporary_password_expires_at,
    )


def invitation(value: Invitation) -> t.Invitation:
    return t.Invitation(
        username=value.username,
        status=value.status,
        user_status=value.user_status,
        invited_at=value.invited_at,
        expires_at=value.expires_at,
    )


def invitation_resent(value: InvitationResent) -> t.ResendInvitationSuccess:
    return t.ResendInvitationSuccess(
        username=value.username, temporary_password_expires_at=value.temporary_password_expires_at
    )


def pending_sign_up(value: PendingSignUp) -> t.PendingSignUp:
    return t.PendingSignUp(
        username=value.username,
        requested_at=value.requested_at,
        attributes=[t.UserAttribute(name=name, value=v) for name, v in value.attributes],
    )


def approved(value: SignUpDecided) -> t.ApproveSignUpSuccess:
    return t.ApproveSignUpSuccess(username=value.username, user_status=value.user_status)


def rejected(value: SignUpDecided) -> t.RejectSignUpSuccess:
    return t.RejectSignUpSuccess(username=value.username)


def signed_up(value: SignedUp) -> t.SignUpSuccess:
    sent = delivery(value.delivery) if value.delivery is not None else None
    return t.SignUpSuccess(next_step=value.next_step, code_delivery=sent)


def confirmed(value: Confirmed) -> t.ConfirmSignUpSuccess:
    return t.ConfirmSignUpSuccess(user_status=value.user_status)


def resent(value: CodeResent) -> t.ResendConfirmationCodeSuccess:
    return t.ResendConfirmationCodeSuccess(code_delivery=delivery(value.delivery))


def signed_in(
    value: SignedIn | PasswordChangeRequired | AddressProofRequired,
) -> t.SignInSuccess | t.NewPasswordRequired | t.AddressVerificationRequired:
    if isinstance(value, PasswordChangeRequired):
        return t.NewPasswordRequired(session=value.session, form=form(value.form))
    if isinstance(value, AddressProofRequired):
        sent = delivery(value.delivery) if value.delivery is not None else None
        return t.AddressVerificationRequired(session=value.session, code_delivery=sent)
    return tokens(value)


def reset_started(value: ResetStarted) -> t.ForgotPasswordSuccess:
    sent = delivery(value.delivery) if value.delivery is not None else None
    return t.ForgotPasswordSuccess(next_step=value.next_step, code_delivery=sent)


def password_reset(value: PasswordReset) -> t.ConfirmForgotPasswordSuccess:
    return t.ConfirmForgotPasswordSuccess(next_step=value.next_step)


def administered(value: UserAdministered) -> t.AdminUserSuccess:
    return t.AdminUserSuccess(username=value.username, user_status=value.user_status, enabled=value.enabled)


def profile(value: Profile) -> t.Profile:
    return t.Profile(
        tenant=strawberry.ID(value.tenant),
        username=value.username,
        user_status=value.user_status,
        attributes=[t.UserAttribute(name=name, value=v) for name, v in value.attributes],
        form=form(value.form),
    )


def profile_updated(value: ProfileUpdated) -> t.UpdateUserAttributesSuccess:
    return t.UpdateUserAttributesSuccess(
        profile=profile(value.profile), code_deliveries=[delivery(d) for d in value.deliveries]
    )


def verified(attribute: str) -> Callable[[object], t.VerifyUserAttributeSuccess]:
    return lambda _: t.VerifyUserAttributeSuccess(attribute=attribute, verified=True)


def password_changed(_: object) -> t.ChangePasswordSuccess:
    return t.ChangePasswordSuccess(changed=True)


def signed_out(_: object) -> t.SignOutSuccess:
    return t.SignOutSuccess(signed_out=True)


def user_summary(value: UserSummary) -> t.UserSummary:
    return t.UserSummary(
        username=value.username,
        user_status=value.user_status,
        enabled=value.enabled,
        created_at=value.created_at,
        attributes=[t.UserAttribute(name=name, value=v) for name, v in value.attributes],
    )


def user_list(value: UserList) -> t.UserList:
    return t.UserList(users=[user_summary(u) for u in value.users], next_cursor=value.next_cursor)


def admin_updated(value: UserSummary) -> t.AdminUpdateUserAttributesSuccess:
    return t.AdminUpdateUserAttributesSuccess(user=user_summary(value))
