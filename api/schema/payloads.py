"""Use-case outcomes -> GraphQL payload types. The only place that knows both shapes."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.registration import (
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
    PendingSignUp,
    SignedIn,
    SignedUp,
    SignUpDecided,
)
from api.schema import types as t

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
    t.SignInSuccess | t.NewPasswordRequired | t.PolicyDenied | t.RegistrationError, strawberry.union("SignInResult")
]
RespondToNewPasswordChallengeResult = Annotated[
    t.SignInSuccess | t.PolicyDenied | t.RegistrationError, strawberry.union("RespondToNewPasswordChallengeResult")
]

Refusal = t.PolicyDenied | t.RegistrationError


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
        operation=t.Operation(value.operation),
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
    return t.CodeDelivery(medium=t.DeliveryMedium(value.medium), destination=value.destination)


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


def invited(value: Invited | Denied | Failure) -> t.InviteUserSuccess | Refusal:
    if isinstance(value, Invited):
        return t.InviteUserSuccess(
            username=value.username,
            user_status=t.UserStatus(value.user_status),
            temporary_password_expires_at=value.temporary_password_expires_at,
        )
    return refusal(value)


def invitation(value: Invitation) -> t.Invitation:
    return t.Invitation(
        username=value.username,
        status=t.InvitationStatus(value.status),
        user_status=t.UserStatus(value.user_status),
        invited_at=value.invited_at,
        expires_at=value.expires_at,
    )


def invitation_resent(value: InvitationResent | Denied | Failure) -> t.ResendInvitationSuccess | Refusal:
    if isinstance(value, InvitationResent):
        return t.ResendInvitationSuccess(
            username=value.username, temporary_password_expires_at=value.temporary_password_expires_at
        )
    return refusal(value)


def pending_sign_up(value: PendingSignUp) -> t.PendingSignUp:
    return t.PendingSignUp(
        username=value.username,
        requested_at=value.requested_at,
        attributes=[t.UserAttribute(name=name, value=v) for name, v in value.attributes],
    )


def approved(value: SignUpDecided | Denied | Failure) -> t.ApproveSignUpSuccess | Refusal:
    if isinstance(value, SignUpDecided):
        return t.ApproveSignUpSuccess(username=value.username, user_status=t.UserStatus(value.user_status))
    return refusal(value)


def rejected(value: SignUpDecided | Denied | Failure) -> t.RejectSignUpSuccess | Refusal:
    if isinstance(value, SignUpDecided):
        return t.RejectSignUpSuccess(username=value.username)
    return refusal(value)


def signed_up(value: SignedUp | Denied | Failure) -> t.SignUpSuccess | Refusal:
    if isinstance(value, SignedUp):
        sent = delivery(value.delivery) if value.delivery is not None else None
        return t.SignUpSuccess(next_step=t.SignUpStep(value.next_step), code_delivery=sent)
    return refusal(value)


def confirmed(value: Confirmed | Denied | Failure) -> t.ConfirmSignUpSuccess | Refusal:
    if isinstance(value, Confirmed):
        return t.ConfirmSignUpSuccess(user_status=t.UserStatus(value.user_status))
    return refusal(value)


def resent(value: CodeResent | Denied | Failure) -> t.ResendConfirmationCodeSuccess | Refusal:
    if isinstance(value, CodeResent):
        return t.ResendConfirmationCodeSuccess(code_delivery=delivery(value.delivery))
    return refusal(value)


def signed_in(
    value: SignedIn | PasswordChangeRequired | Denied | Failure,
) -> t.SignInSuccess | t.NewPasswordRequired | Refusal:
    if isinstance(value, SignedIn):
        return tokens(value)
    if isinstance(value, PasswordChangeRequired):
        return t.NewPasswordRequired(session=value.session, form=form(value.form))
    return refusal(value)


def challenge_answered(value: SignedIn | Denied | Failure) -> t.SignInSuccess | Refusal:
    if isinstance(value, SignedIn):
        return tokens(value)
    return refusal(value)
