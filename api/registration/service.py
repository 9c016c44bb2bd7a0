"""The registration use cases: policy first, then the identity provider, then one outcome.

Every request goes the same way: find the tenant, normalise the username, let the engine decide, and
only if it allows, call the provider. Provider refusals are translated here, in one place per use case,
which is also where user-existence errors are hidden when the tenant asks for it (the default).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from datetime import timedelta

from api.cognito.port import (
    CodeDeliveryDetails,
    IdentityProvider,
    NewPasswordChallenge,
    PoolBinding,
    ProviderError,
    ProviderErrorCode,
    mask_destination,
)
from api.policy import Decision, Operation, TenantPolicy, evaluate, normalize_username
from api.policy.engine import PolicyRequest
from api.registration import requests as rq
from api.registration.credentials import api_key_name, bearer_token
from api.registration.forms import build_form
from api.registration.outcomes import (
    ChallengeOutcome,
    CodeResent,
    Confirmed,
    ConfirmOutcome,
    Delivery,
    Denied,
    ErrorCode,
    Failure,
    Form,
    Invited,
    InviteOutcome,
    PasswordChangeRequired,
    ResendOutcome,
    SignedIn,
    SignedUp,
    SignInOutcome,
    SignUpOutcome,
)
from api.registration.sessions import SessionSealer

audit = logging.getLogger("regapi.audit")
log = logging.getLogger("regapi.registration")

WRONG_CREDENTIALS = "Incorrect username or password."
WRONG_CODE = "Invalid verification code provided, please try again."


class UnexpectedProviderError(RuntimeError):
    """A provider answer no rule covers: surfaced as a masked top-level GraphQL error."""


def _failure_for(error: ProviderError) -> Failure:
    """Refusals whose meaning is the same in every use case."""
    match error.code:
        case ProviderErrorCode.TOO_MANY_ATTEMPTS:
            # Cognito does not say for how long; 15 minutes is its usual lockout, so waiting that long works.
            return Failure(ErrorCode.TOO_MANY_ATTEMPTS, "Too many attempts; try again later.", retry_after_seconds=900)
        case ProviderErrorCode.UNAVAILABLE:
            return Failure(ErrorCode.SERVICE_UNAVAILABLE, "The identity service is unavailable; try again shortly.")
        case ProviderErrorCode.INVALID_PASSWORD:
            return Failure(ErrorCode.INVALID_PASSWORD, "The identity service refused this password.", "password")
        case ProviderErrorCode.SELF_SIGNUP_DISABLED:
            return Failure(ErrorCode.SELF_SIGNUP_DISABLED, "Self sign-up is disabled for this user pool.")
    # Anything else (InvalidParameter on what the policy allowed, say) means the policy and the pool
    # disagree: an operator's problem, not the caller's, so it is masked and logged.
    log.error("identity provider refused unexpectedly: %s", error.code.value)
    raise UnexpectedProviderError(error.code.value) from error


class RegistrationService:
    def __init__(
        self,
        policies: Mapping[str, TenantPolicy],
        pools: Mapping[str, PoolBinding],
        provider: IdentityProvider,
        sealer: SessionSealer,
    ) -> None:
        self._policies = policies
        self._pools = pools
        self._provider = provider
        self._sealer = sealer

    # ------------------------------------------------------------ helpers

    def _tenant(self, tenant: str) -> tuple[TenantPolicy, PoolBinding] | Failure:
        policy = self._policies.get(tenant)
        if policy is None:
            return Failure(ErrorCode.TENANT_NOT_FOUND, f"No tenant named {tenant!r}.", "tenant")
        return policy, self._pools[policy.policy.cognito.user_pool]

    def _decide(self, policy: TenantPolicy, request: PolicyRequest) -> Decision:
        decision = evaluate(policy, request)
        # Names and codes only: values may be personal data, and passwords never reach a log.
        audit.info(
            "decision tenant=%s operation=%s allowed=%s violations=%s revision=%s",
            decision.tenant,
            decision.operation,
            decision.allowed,
            ",".join(f"{v.code.value}:{v.attribute or v.field}" for v in decision.violations) or "-",
            decision.revision,
        )
        return decision

    def _admin(self, policy: TenantPolicy, caller: rq.Caller) -> Failure | None:
        key = bearer_token(caller.authorization)
        name = api_key_name(policy.policy, key) if key else None
        if name is None:
            audit.info("admin refused tenant=%s", policy.tenant)
            return Failure(ErrorCode.NOT_AUTHORIZED, "A valid API key of this tenant is required.")
        audit.info("admin tenant=%s key=%s", policy.tenant, name)
        return None

    def _fake_destination(self, policy: TenantPolicy, username: str) -> str:
        """A stable, plausible masked address for a user that may not exist."""
        if policy.policy.username.kind == "email":
            return mask_destination(username)
        digest = hmac.new(policy.revision.encode(), username.encode(), hashlib.sha256).hexdigest()
        letters = "abcdefghijklmnopqrstuvwxyz"
        return f"{letters[int(digest[:2], 16) % 26]}***@{letters[int(digest[2:4], 16) % 26]}***"

    def _delivery(self, policy: TenantPolicy, username: str, details: CodeDeliveryDetails | None) -> Delivery:
        # With e-mail usernames regapi masks the address itself, so a new and an existing user get
        # byte-identical answers whatever Cognito returned.
        if policy.policy.username.kind == "email" or details is None:
            return Delivery("EMAIL", self._fake_destination(policy, username))
        return Delivery(details.medium, details.destination)

    # ------------------------------------------------------------ public queries

    def form(self, request: rq.FormRequest) -> Form | Failure:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        return build_form(found[0], request.operation)

    # ------------------------------------------------------------ admin path

    async def invite_user(self, request: rq.InviteUser, caller: rq.Caller) -> InviteOutcome:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        policy, pool = found
        if refused := self._admin(policy, caller):
            return refused
        username = normalize_username(policy.policy, request.username)
        decision = self._decide(policy, PolicyRequest(Operation.INVITE, username, request.attributes))
        if not decision.allowed:
            return Denied(decision)
        attributes = dict(request.attributes)
        if policy.policy.username.kind == "email":
            attributes["email"] = username
        if "email" in attributes:
            # The administrator vouches for the address (the seed documents' admin pattern).
            attributes["email_verified"] = "true"
        try:
            created = await self._provider.admin_create_user(pool, username, attributes, tenant=policy.tenant)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USERNAME_EXISTS:
                return Failure(ErrorCode.USERNAME_EXISTS, "A user with this username exists already.", "username")
            return _failure_for(error)
        validity = timedelta(days=policy.policy.registration.temporary_password_validity_days)
        return Invited(created.username, created.status, created.created_at + validity)

    # ------------------------------------------------------------ self-service path

    async def sign_up(self, request: rq.SignUp) -> SignUpOutcome:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        policy, pool = found
        username = normalize_username(policy.policy, request.username)
        decision = self._decide(
            policy, PolicyRequest(Operation.SIGN_UP, username, request.attributes, password=request.password)
        )
        if not decision.allowed:
            return Denied(decision)
        attributes = dict(request.attributes)
        if policy.policy.username.kind == "email":
            attributes["email"] = username
        try:
            result = await self._provider.sign_up(pool, username, request.password, attributes, tenant=policy.tenant)
        except ProviderError as error:
            if error.code is ProviderErrorCode.USERNAME_EXISTS:
                if policy.policy.registration.prevent_user_existence_errors:
                    # The same answer a new user gets: whether the name is taken is not the caller's to know.
                    return SignedUp("CONFIRM_SIGN_UP", self._delivery(policy, username, None))
                return Failure(ErrorCode.USERNAME_EXISTS, "A user with this username exists already.", "username")
            return _failure_for(error)
        if result.user_confirmed:
            return SignedUp("DONE", None)
        return SignedUp("CONFIRM_SIGN_UP", self._delivery(policy, username, result.delivery))

    async def confirm_sign_up(self, request: rq.ConfirmSignUp) -> ConfirmOutcome:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        policy, pool = found
        username = normalize_username(policy.policy, request.username)
        try:
            await self._provider.confirm_sign_up(pool, username, request.code, tenant=policy.tenant)
        except ProviderError as error:
            hide = policy.policy.registration.prevent_user_existence_errors
            match error.code:
                case ProviderErrorCode.CODE_MISMATCH:
                    return Failure(ErrorCode.CODE_MISMATCH, WRONG_CODE, "code")
                case ProviderErrorCode.CODE_EXPIRED:
                    return Failure(ErrorCode.CODE_EXPIRED, "The code has expired; request a new one.", "code")
                case (
                    ProviderErrorCode.USER_NOT_FOUND
                    | ProviderErrorCode.ALREADY_CONFIRMED
                    | (ProviderErrorCode.NOT_AUTHORIZED)
                ) if hide:
                    return Failure(ErrorCode.CODE_MISMATCH, WRONG_CODE, "code")
                case ProviderErrorCode.USER_NOT_FOUND:
                    return Failure(ErrorCode.USER_NOT_FOUND, "No such user.", "username")
                case ProviderErrorCode.ALREADY_CONFIRMED | ProviderErrorCode.NOT_AUTHORIZED:
                    return Failure(ErrorCode.ALREADY_CONFIRMED, "This user is confirmed already.", "username")
            return _failure_for(error)
        return Confirmed("CONFIRMED")

    async def resend_confirmation_code(self, request: rq.ResendConfirmationCode) -> ResendOutcome:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        policy, pool = found
        username = normalize_username(policy.policy, request.username)
        try:
            details = await self._provider.resend_confirmation_code(pool, username, tenant=policy.tenant)
        except ProviderError as error:
            hidden = {ProviderErrorCode.USER_NOT_FOUND, ProviderErrorCode.ALREADY_CONFIRMED}
            if error.code in hidden and policy.policy.registration.prevent_user_existence_errors:
                return CodeResent(self._delivery(policy, username, None))
            if error.code is ProviderErrorCode.USER_NOT_FOUND:
                return Failure(ErrorCode.USER_NOT_FOUND, "No such user.", "username")
            if error.code is ProviderErrorCode.ALREADY_CONFIRMED:
                return Failure(ErrorCode.ALREADY_CONFIRMED, "This user is confirmed already.", "username")
            return _failure_for(error)
        return CodeResent(self._delivery(policy, username, details))

    async def sign_in(self, request: rq.SignIn) -> SignInOutcome:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        policy, pool = found
        username = normalize_username(policy.policy, request.username)
        try:
            result = await self._provider.initiate_auth(pool, username, request.password)
        except ProviderError as error:
            match error.code:
                case ProviderErrorCode.NOT_AUTHORIZED | ProviderErrorCode.USER_NOT_FOUND:
                    return Failure(ErrorCode.NOT_AUTHORIZED, WRONG_CREDENTIALS)
                case ProviderErrorCode.INVITATION_EXPIRED:
                    return Failure(
                        ErrorCode.INVITATION_EXPIRED,
                        "The invitation has expired; ask an administrator to send a new one.",
                    )
                case ProviderErrorCode.USER_NOT_CONFIRMED:
                    return Failure(ErrorCode.USER_NOT_CONFIRMED, "Confirm your account with the code sent to you.")
            return _failure_for(error)
        if isinstance(result, NewPasswordChallenge):
            current = dict(result.user_attributes)
            form = build_form(
                policy, Operation.FIRST_SIGN_IN, current=current, pool_required=result.required_attributes
            )
            session = self._sealer.seal(
                policy.tenant, username, result.session, current.keys(), result.required_attributes
            )
            return PasswordChangeRequired(session, form)
        return SignedIn(result)

    async def respond_to_new_password_challenge(self, request: rq.RespondToNewPasswordChallenge) -> ChallengeOutcome:
        found = self._tenant(request.tenant)
        if isinstance(found, Failure):
            return found
        policy, pool = found
        username = normalize_username(policy.policy, request.username)
        sealed = self._sealer.open(request.session, policy.tenant, username)
        if sealed is None:
            return Failure(
                ErrorCode.INVALID_SESSION, "The session is invalid or has expired; sign in again.", "session"
            )
        decision = self._decide(
            policy,
            PolicyRequest(
                Operation.FIRST_SIGN_IN,
                username,
                request.attributes,
                password=request.new_password,
                existing_attributes=sealed.existing_attributes,
                pool_required=sealed.pool_required,
            ),
        )
        if not decision.allowed:
            return Denied(decision)
        try:
            result = await self._provider.respond_to_new_password_challenge(
                pool, username, sealed.cognito_session, request.new_password, request.attributes
            )
        except ProviderError as error:
            if error.code in {ProviderErrorCode.INVALID_SESSION, ProviderErrorCode.NOT_AUTHORIZED}:
                return Failure(
                    ErrorCode.INVALID_SESSION, "The session is invalid or has expired; sign in again.", "session"
                )
            if error.code is ProviderErrorCode.INVALID_PASSWORD:
                return Failure(ErrorCode.INVALID_PASSWORD, "The identity service refused this password.", "newPassword")
            return _failure_for(error)
        if isinstance(result, NewPasswordChallenge):
            raise UnexpectedProviderError("a second NEW_PASSWORD_REQUIRED challenge")
        return SignedIn(result)
