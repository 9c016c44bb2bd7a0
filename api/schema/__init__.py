"""The GraphQL layer: thin resolvers that turn inputs into use-case requests and successes into payloads.

A use case's refusal (`Refused`) is caught here, at the boundary: as a union member for mutations, as
a top-level error with its code for queries that return no union. The tenant and the page's origin are
checked inside the use cases, where every request passes.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from api.registration import (
    AdminUpdateAttributes,
    AdminUser,
    ChangePassword,
    ConfirmForgotPassword,
    ConfirmSignIn,
    ConfirmSignUp,
    DecideSignUp,
    Explain,
    ForgotPassword,
    FormRequest,
    InvitationQuery,
    InviteUser,
    Operation,
    RefreshTokens,
    ResendConfirmationCode,
    ResendInvitation,
    RespondToNewPasswordChallenge,
    SignIn,
    SignUp,
    UpdateAttributes,
    UserQuery,
    VerifyAttribute,
    WebhookDeliveryStatus,
)
from api.registration.failures import REFUSALS, outcome_of
from api.schema import inputs as i
from api.schema import observed
from api.schema import payloads as p
from api.schema import types as t
from api.schema import webhooks as w
from api.schema.context import Context, Info
from api.schema.execution import Schema

MAX_TOKENS = 1000
MAX_ALIASES = 15
MAX_DEPTH = 8


@strawberry.type
class Query:
    @strawberry.field(description="The form a frontend should render for an operation. Public.")  # type: ignore[untyped-decorator]
    def registration_form(self, info: Info, tenant: strawberry.ID, operation: Operation) -> t.RegistrationForm:
        try:
            return p.form(info.context.use_cases.sign_up.form(FormRequest(str(tenant), operation), info.context.caller))
        except REFUSALS as error:
            raise p.public_error(outcome_of(error)) from None

    @strawberry.field(  # type: ignore[untyped-decorator]
        description="Admin: the decision a request would get, and why. A dry run: nothing is written."
    )
    async def explain_registration(self, info: Info, input: i.ExplainRegistrationInput) -> t.DecisionType:
        request = Explain(
            tenant=str(input.tenant),
            operation=input.operation,
            attributes=i.attribute_pairs(input.attributes),
            username=input.username,
            password=input.password,
            existing_attributes=tuple(input.existing_attributes or ()),
        )
        return p.decision(await p.value(info.context.use_cases.admin.explain(request, info.context.caller)))

    @strawberry.field(description="Admin: one invitation of the tenant, or null.")  # type: ignore[untyped-decorator]
    async def invitation(self, info: Info, tenant: strawberry.ID, username: str) -> t.Invitation | None:
        query = InvitationQuery(str(tenant), username=username)
        found = await p.value(info.context.use_cases.admin.invitations(query, info.context.caller))
        return p.invitation(found[0]) if found else None

    @strawberry.field(description="Admin: the tenant's invitations, optionally of one status.")  # type: ignore[untyped-decorator]
    async def invitations(
        self, info: Info, tenant: strawberry.ID, status: t.InvitationStatus | None = None
    ) -> list[t.Invitation]:
        query = InvitationQuery(str(tenant), status=status)
        found = await p.value(info.context.use_cases.admin.invitations(query, info.context.caller))
        return [p.invitation(i) for i in found]

    @strawberry.field(description="Admin: self sign-ups awaiting approval.")  # type: ignore[untyped-decorator]
    async def pending_sign_ups(self, info: Info, tenant: strawberry.ID) -> list[t.PendingSignUp]:
        found = await p.value(info.context.use_cases.admin.pending_sign_ups(str(tenant), info.context.caller))
        return [p.pending_sign_up(pending) for pending in found]

    @strawberry.field(description="User: the signed-in user's profile (Authorization: Bearer <access token>).")  # type: ignore[untyped-decorator]
    async def me(self, info: Info, tenant: strawberry.ID) -> p.MeResult:
        return await p.answer_undenied(info.context.use_cases.account.me(str(tenant), info.context.caller), p.profile)

    @strawberry.field(description="Admin: the tenant's users, a page at a time (first: at most 60).")  # type: ignore[untyped-decorator]
    async def users(
        self,
        info: Info,
        tenant: strawberry.ID,
        status: t.UserStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> p.UsersResult:
        query = UserQuery(str(tenant), status, first, after)
        return await p.answer_undenied(info.context.use_cases.users.users(query, info.context.caller), p.user_list)

    @strawberry.field(description="Admin: the tenant's webhook deliveries, newest first (at most 100).")  # type: ignore[untyped-decorator]
    async def webhook_deliveries(
        self, info: Info, tenant: strawberry.ID, status: WebhookDeliveryStatus | None = None
    ) -> list[w.WebhookDeliveryType]:
        found = await p.value(info.context.use_cases.webhooks.deliveries(str(tenant), status, info.context.caller))
        return [w.delivery(delivery) for delivery in found]


@strawberry.type
class Mutation:
    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Admin: create a user who gets a temporary password. Needs the tenant's API key."
    )
    async def invite_user(self, info: Info, input: i.InviteUserInput) -> p.InviteUserResult:
        request = InviteUser(str(input.tenant), input.username, i.attribute_pairs(input.attributes))
        return await p.answer(info.context.use_cases.admin.invite_user(request, info.context.caller), p.invited)

    @strawberry.mutation(  # type: ignore[untyped-decorator]
        description="Admin: a new temporary password and a fresh validity for a pending or expired invitation."
    )
    async def resend_invitation(self, info: Info, input: i.ResendInvitationInput) -> p.ResendInvitationResult:
        request = ResendInvitation(str(input.tenant), input.username)
        admin = info.context.use_cases.admin
        return await p.answer(admin.resend_invitation(request, info.context.caller), p.invitation_resent)

    @strawberry.mutation(description="Admin: let a pending sign-up in.")  # type: ignore[untyped-decorator]
    async def approve_sign_up(self, info: Info, input: i.ApproveSignUpInput) -> p.ApproveSignUpResult:
        request = DecideSignUp(str(input.tenant), input.username, approve=True)
        return await p.answer(info.context.use_cases.admin.decide_sign_up(request, info.context.caller), p.approved)

    @strawberry.mutation(description="Admin: delete a pending sign-up.")  # type: ignore[untyped-decorator]
    async def reject_sign_up(self, info: Info, input: i.RejectSignUpInput) -> p.RejectSignUpResult:
        request = DecideSignUp(str(input.tenant), input.username, approve=False)
        return await p.answer(info.context.use_cases.admin.decide_sign_up(request, info.context.caller), p.rejected)

    @strawberry.mutation
    async def sign_up(self, info: Info, input: i.SignUpInput) -> p.SignUpResult:
        request = SignUp(str(input.tenant), input.username, input.password, i.attribute_pairs(input.attributes))
        return await p.answer(info.context.use_cases.sign_up.sign_up(request, info.context.caller), p.signed_up)

    @strawberry.mutation
    async def confirm_sign_up(self, info: Info, input: i.ConfirmSignUpInput) -> p.ConfirmSignUpResult:
        request = ConfirmSignUp(str(input.tenant), input.username, input.code)
        sign_ups = info.context.use_cases.sign_up
        return await p.answer(sign_ups.confirm_sign_up(request, info.context.caller), p.confirmed)

    @strawberry.mutation
    async def resend_confirmation_code(
        self, info: Info, input: i.ResendConfirmationCodeInput
    ) -> p.ResendConfirmationCodeResult:
        request = ResendConfirmationCode(str(input.tenant), input.username)
        sign_ups = info.context.use_cases.sign_up
        return await p.answer(sign_ups.resend_confirmation_code(request, info.context.caller), p.resent)

    @strawberry.mutation
    async def sign_in(self, info: Info, input: i.SignInInput) -> p.SignInResult:
        request = SignIn(str(input.tenant), input.username, input.password)
        return await p.answer(info.context.use_cases.sign_in.sign_in(request, info.context.caller), p.signed_in)

    @strawberry.mutation
    async def respond_to_new_password_challenge(
        self, info: Info, input: i.RespondToNewPasswordChallengeInput
    ) -> p.RespondToNewPasswordChallengeResult:
        request = RespondToNewPasswordChallenge(
            str(input.tenant), input.username, input.session, input.new_password, i.attribute_pairs(input.attributes)
        )
        sign_ins = info.context.use_cases.sign_in
        return await p.answer(sign_ins.respond_to_new_password_challenge(request, info.context.caller), p.tokens)

    @strawberry.mutation  # an approved sign-up's first sign-in: the code sent to its address
    async def confirm_sign_in(self, info: Info, input: i.ConfirmSignInInput) -> p.ConfirmSignInResult:
        request = ConfirmSignIn(str(input.tenant), input.username, input.session, input.code)
        proof = info.context.use_cases.address_proof
        return await p.answer(proof.confirm_sign_in(request, info.context.caller), p.tokens)

    @strawberry.mutation
    async def forgot_password(self, info: Info, input: i.ForgotPasswordInput) -> p.ForgotPasswordResult:
        request = ForgotPassword(str(input.tenant), input.username)
        recovery = info.context.use_cases.recovery
        return await p.answer(recovery.forgot_password(request, info.context.caller), p.reset_started)

    @strawberry.mutation
    async def confirm_forgot_password(
        self, info: Info, input: i.ConfirmForgotPasswordInput
    ) -> p.ConfirmForgotPasswordResult:
        request = ConfirmForgotPassword(str(input.tenant), input.username, input.code, input.new_password)
        recovery = info.context.use_cases.recovery
        return await p.answer(recovery.confirm_forgot_password(request, info.context.caller), p.password_reset)

    @strawberry.mutation  # admin: RESET_REQUIRED, and a reset code sent
    async def admin_reset_password(self, info: Info, input: i.AdminUserInput) -> p.AdminUserResult:
        request = AdminUser(str(input.tenant), input.username)
        return await p.answer(info.context.use_cases.users.reset_password(request, info.context.caller), p.administered)

    @strawberry.mutation  # user: decided under operation PROFILE_UPDATE
    async def update_user_attributes(
        self, info: Info, input: i.UpdateUserAttributesInput
    ) -> p.UpdateUserAttributesResult:
        request = UpdateAttributes(str(input.tenant), i.attribute_pairs(input.attributes))
        account = info.context.use_cases.account
        return await p.answer(account.update_attributes(request, info.context.caller), p.profile_updated)

    @strawberry.mutation  # user: the code sent to a changed address
    async def verify_user_attribute(self, info: Info, input: i.VerifyUserAttributeInput) -> p.VerifyUserAttributeResult:
        request = VerifyAttribute(str(input.tenant), input.attribute, input.code)
        account = info.context.use_cases.account
        return await p.answer(account.verify_attribute(request, info.context.caller), p.verified(input.attribute))

    @strawberry.mutation  # user
    async def change_password(self, info: Info, input: i.ChangePasswordInput) -> p.ChangePasswordResult:
        request = ChangePassword(str(input.tenant), input.previous_password, input.proposed_password)
        account = info.context.use_cases.account
        return await p.answer(account.change_password(request, info.context.caller), p.password_changed)

    @strawberry.mutation
    async def refresh_tokens(self, info: Info, input: i.RefreshTokensInput) -> p.RefreshTokensResult:
        request = RefreshTokens(str(input.tenant), input.username, input.refresh_token)
        account = info.context.use_cases.account
        return await p.answer_undenied(account.refresh_tokens(request, info.context.caller), p.tokens)

    @strawberry.mutation  # user: every device
    async def sign_out(self, info: Info, input: i.SignOutInput) -> p.SignOutResult:
        account = info.context.use_cases.account
        return await p.answer(account.sign_out(str(input.tenant), info.context.caller), p.signed_out)

    @strawberry.mutation  # admin: decided under operation ADMIN_UPDATE
    async def admin_update_user_attributes(
        self, info: Info, input: i.AdminUpdateUserAttributesInput
    ) -> p.AdminUpdateUserAttributesResult:
        request = AdminUpdateAttributes(str(input.tenant), input.username, i.attribute_pairs(input.attributes))
        users = info.context.use_cases.users
        return await p.answer(users.update_attributes(request, info.context.caller), p.admin_updated)

    @strawberry.mutation  # admin: the user cannot sign in until enabled again
    async def disable_user(self, info: Info, input: i.AdminUserInput) -> p.AdminUserResult:
        request = AdminUser(str(input.tenant), input.username)
        return await p.answer(info.context.use_cases.users.disable(request, info.context.caller), p.administered)

    @strawberry.mutation  # admin
    async def enable_user(self, info: Info, input: i.AdminUserInput) -> p.AdminUserResult:
        request = AdminUser(str(input.tenant), input.username)
        return await p.answer(info.context.use_cases.users.enable(request, info.context.caller), p.administered)

    @strawberry.mutation  # admin
    async def delete_user(self, info: Info, input: i.AdminUserInput) -> p.AdminUserResult:
        request = AdminUser(str(input.tenant), input.username)
        return await p.answer(info.context.use_cases.users.delete(request, info.context.caller), p.administered)

    @strawberry.mutation(description="Admin: send a FAILED webhook delivery again, under the same webhook-id.")  # type: ignore[untyped-decorator]
    async def replay_webhook_delivery(
        self, info: Info, input: w.ReplayWebhookDeliveryInput
    ) -> w.ReplayWebhookDeliveryResult:
        replay = info.context.use_cases.webhooks.replay(str(input.tenant), str(input.id), info.context.caller)
        return await p.answer_undenied(replay, w.replayed)


ROOT_FIELDS = observed.attach(Query, Mutation)


# Checked once per document text (api.schema.documents); validation is about 70% of a request that is
# checked each time (bench/graphql_request.py shows the gap).
_VALIDATION_RULES: list[Any] = [depth_rule(MAX_DEPTH, None, None), max_aliases_rule(MAX_ALIASES)]
# In production the schema is not for browsing: no introspection (and no GraphiQL, see the view).
_PRODUCTION_RULES: list[Any] = [*_VALIDATION_RULES, NoSchemaIntrospectionCustomRule]


def build_schema(*, production: bool = False, documents: int = 512) -> Schema:
    """The schema; `documents`: how many document texts keep their verdict (api.schema.documents)."""
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(batching_config=None),
        rules=_PRODUCTION_RULES if production else _VALIDATION_RULES,
        max_tokens=MAX_TOKENS,  # the cheap first gate: stops a huge document while parsing
        hide_suggestions=production,
        root_fields=ROOT_FIELDS,
        documents=documents,
    )


__all__ = ["Context", "Schema", "build_schema"]
