"""The GraphQL layer: thin resolvers that turn inputs into use-case requests and outcomes into payloads."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.registration import (
    ConfirmSignUp,
    DecideSignUp,
    Explain,
    Failure,
    FormRequest,
    InvitationQuery,
    InviteUser,
    Operation,
    ResendConfirmationCode,
    ResendInvitation,
    RespondToNewPasswordChallenge,
    SignIn,
    SignUp,
)
from api.schema import inputs as i
from api.schema import payloads as p
from api.schema import types as t
from api.schema.context import Context, Info
from api.schema.errors import PublicError, SafeErrors, log_errors

MAX_TOKENS = 1000
MAX_ALIASES = 15
MAX_DEPTH = 8


def _origin_refusal(info: Info, tenant: strawberry.ID) -> Failure | None:
    return info.context.service.origin_refusal(str(tenant), info.context.caller)


def _refuse_origin(info: Info, tenant: strawberry.ID) -> None:
    """For fields that return no union: a browser origin the tenant does not list is a top-level error."""
    if refused := _origin_refusal(info, tenant):
        raise PublicError(refused.message, refused.code.value)


@strawberry.type
class Query:
    @strawberry.field(description="The form a frontend should render for an operation. Public.")  # type: ignore[untyped-decorator]
    def registration_form(self, info: Info, tenant: strawberry.ID, operation: Operation) -> t.RegistrationForm:
        _refuse_origin(info, tenant)
        form = info.context.service.form(FormRequest(str(tenant), operation))
        if isinstance(form, Failure):
            raise PublicError(form.message, form.code.value)
        return p.form(form)

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="Admin: the decision a request would get, and why. A dry run: nothing is written."
    )
    async def explain_registration(self, info: Info, input: i.ExplainRegistrationInput) -> t.DecisionType:
        _refuse_origin(info, input.tenant)
        request = Explain(
            tenant=str(input.tenant),
            operation=input.operation,
            attributes=i.attribute_pairs(input.attributes),
            username=input.username,
            password=input.password,
            existing_attributes=tuple(input.existing_attributes or ()),
        )
        decision = await info.context.service.explain(request, info.context.caller)
        if isinstance(decision, Failure):
            raise PublicError(decision.message, decision.code.value)
        return p.decision(decision)

    @strawberry.field(description="Admin: one invitation of the tenant, or null.")  # type: ignore[untyped-decorator]
    async def invitation(self, info: Info, tenant: strawberry.ID, username: str) -> t.Invitation | None:
        _refuse_origin(info, tenant)
        found = await info.context.service.invitations(
            InvitationQuery(str(tenant), username=username), info.context.caller
        )
        if isinstance(found, Failure):
            raise PublicError(found.message, found.code.value)
        return p.invitation(found[0]) if found else None

    @strawberry.field(description="Admin: the tenant's invitations, optionally of one status.")  # type: ignore[untyped-decorator]
    async def invitations(
        self, info: Info, tenant: strawberry.ID, status: t.InvitationStatus | None = None
    ) -> list[t.Invitation]:
        _refuse_origin(info, tenant)
        query = InvitationQuery(str(tenant), status=status.value if status is not None else None)
        found = await info.context.service.invitations(query, info.context.caller)
        if isinstance(found, Failure):
            raise PublicError(found.message, found.code.value)
        return [p.invitation(i) for i in found]

    @strawberry.field(description="Admin: self sign-ups awaiting approval.")  # type: ignore[untyped-decorator]
    async def pending_sign_ups(self, info: Info, tenant: strawberry.ID) -> list[t.PendingSignUp]:
        _refuse_origin(info, tenant)
        found = await info.context.service.pending_sign_ups(str(tenant), info.context.caller)
        if isinstance(found, Failure):
            raise PublicError(found.message, found.code.value)
        return [p.pending_sign_up(pending) for pending in found]


@strawberry.type
class Mutation:
    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Admin: create a user who gets a temporary password. Needs the tenant's API key."
    )
    async def invite_user(self, info: Info, input: i.InviteUserInput) -> p.InviteUserResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = InviteUser(str(input.tenant), input.username, i.attribute_pairs(input.attributes))
        return p.invited(await info.context.service.invite_user(request, info.context.caller))

    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Admin: a new temporary password and a fresh validity for a pending or expired invitation."
    )
    async def resend_invitation(self, info: Info, input: i.ResendInvitationInput) -> p.ResendInvitationResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = ResendInvitation(str(input.tenant), input.username)
        return p.invitation_resent(await info.context.service.resend_invitation(request, info.context.caller))

    @strawberry.mutation(description="Admin: let a pending sign-up in.")  # type: ignore[untyped-decorator]
    async def approve_sign_up(self, info: Info, input: i.ApproveSignUpInput) -> p.ApproveSignUpResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = DecideSignUp(str(input.tenant), input.username, approve=True)
        return p.approved(await info.context.service.decide_sign_up(request, info.context.caller))

    @strawberry.mutation(description="Admin: delete a pending sign-up.")  # type: ignore[untyped-decorator]
    async def reject_sign_up(self, info: Info, input: i.RejectSignUpInput) -> p.RejectSignUpResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = DecideSignUp(str(input.tenant), input.username, approve=False)
        return p.rejected(await info.context.service.decide_sign_up(request, info.context.caller))

    @strawberry.mutation
    async def sign_up(self, info: Info, input: i.SignUpInput) -> p.SignUpResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = SignUp(str(input.tenant), input.username, input.password, i.attribute_pairs(input.attributes))
        return p.signed_up(await info.context.service.sign_up(request, info.context.caller))

    @strawberry.mutation
    async def confirm_sign_up(self, info: Info, input: i.ConfirmSignUpInput) -> p.ConfirmSignUpResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = ConfirmSignUp(str(input.tenant), input.username, input.code)
        return p.confirmed(await info.context.service.confirm_sign_up(request, info.context.caller))

    @strawberry.mutation
    async def resend_confirmation_code(
        self, info: Info, input: i.ResendConfirmationCodeInput
    ) -> p.ResendConfirmationCodeResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = ResendConfirmationCode(str(input.tenant), input.username)
        return p.resent(await info.context.service.resend_confirmation_code(request, info.context.caller))

    @strawberry.mutation
    async def sign_in(self, info: Info, input: i.SignInInput) -> p.SignInResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = SignIn(str(input.tenant), input.username, input.password)
        return p.signed_in(await info.context.service.sign_in(request, info.context.caller))

    @strawberry.mutation
    async def respond_to_new_password_challenge(
        self, info: Info, input: i.RespondToNewPasswordChallengeInput
    ) -> p.RespondToNewPasswordChallengeResult:
        if refused := _origin_refusal(info, input.tenant):
            return p.refusal(refused)
        request = RespondToNewPasswordChallenge(
            str(input.tenant), input.username, input.session, input.new_password, i.attribute_pairs(input.attributes)
        )
        return p.challenge_answered(
            await info.context.service.respond_to_new_password_challenge(request, info.context.caller)
        )


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors)


# Built once: a limiter that builds its rule per request makes the validation cache miss every time
# (../shared/research/perf-baseline.md), and validation is 70% of an uncached request.
_VALIDATION_RULES: list[Any] = [depth_rule(MAX_DEPTH, None, None), max_aliases_rule(MAX_ALIASES)]
# In production the schema is not for browsing: no introspection (and no GraphiQL, see the view).
_PRODUCTION_RULES: list[Any] = [*_VALIDATION_RULES, NoSchemaIntrospectionCustomRule]


def build_schema(*, production: bool = False) -> Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(batching_config=None),
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),  # the cheap first gate: stops a huge document while parsing
            lambda: AddValidationRules(_PRODUCTION_RULES if production else _VALIDATION_RULES),
            ParserCache,
            ValidationCache,
            lambda: SafeErrors(hide_suggestions=production),
        ],
    )


__all__ = ["Context", "Schema", "build_schema"]
