"""Registration use cases: requests in, successes out (refusals raised as `Refused`), the policy engine
always first. Two families over shared tenancy, failures and limits: self-service (one class per flow)
and admin."""

from collections.abc import Mapping
from dataclasses import dataclass

from api.clock import Clock, SystemClock
from api.cognito.port import IdentityProvider, PoolBinding, Tokens
from api.events.model import Delivery as WebhookDelivery
from api.events.model import DeliveryStatus as WebhookDeliveryStatus
from api.events.publisher import Publisher
from api.events.queue import DeliveryQueue
from api.policy import Decision, Operation, Violation, ViolationCode
from api.policy.store import PolicyStore
from api.registration.admin.registrations import AdminRegistrations, explain
from api.registration.admin.users import UserAdministration
from api.registration.admin.webhooks import WebhookDeliveries
from api.registration.credentials import Administrators
from api.registration.cursors import Cursors
from api.registration.failures import Refused
from api.registration.held_tokens import HeldTokens
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import (
    AddressProofRequired,
    CodeResent,
    Confirmed,
    Delivery,
    DeliveryMedium,
    Denied,
    Done,
    ErrorCode,
    Failure,
    Form,
    FormField,
    Invitation,
    InvitationResent,
    InvitationStatus,
    Invited,
    PasswordChangeRequired,
    PasswordReset,
    PendingSignUp,
    Profile,
    ProfileUpdated,
    ResetPasswordStep,
    ResetStarted,
    SignedIn,
    SignedUp,
    SignUpDecided,
    SignUpStep,
    UserAdministered,
    UserList,
    UserStatus,
    UserSummary,
)
from api.registration.partners import Partners
from api.registration.requests import (
    AdminUpdateAttributes,
    AdminUser,
    Caller,
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
    RefreshTokens,
    ResendConfirmationCode,
    ResendInvitation,
    RespondToNewPasswordChallenge,
    SignIn,
    SignUp,
    UpdateAttributes,
    UserQuery,
    VerifyAttribute,
)
from api.registration.self_service.account import Account
from api.registration.self_service.address_proof import AddressProof
from api.registration.self_service.recovery import Recovery
from api.registration.self_service.sign_in import SignIns
from api.registration.self_service.sign_up import SignUps
from api.registration.sessions import SessionSealer
from api.registration.single_use import MemorySingleUse, RedisSingleUse, SingleUse
from api.registration.tenancy import OriginRule, Tenancy
from api.registration.tokens import AccessTokens


@dataclass(frozen=True, slots=True)
class UseCases:
    sign_up: SignUps
    sign_in: SignIns
    address_proof: AddressProof
    recovery: Recovery
    account: Account
    admin: AdminRegistrations
    users: UserAdministration
    webhooks: WebhookDeliveries


def build_use_cases(
    policies: PolicyStore,
    pools: Mapping[str, PoolBinding],
    provider: IdentityProvider,
    *,
    sealer: SessionSealer,
    limiter: AttemptLimiter,
    tokens: AccessTokens,
    used_sessions: SingleUse,
    clock: Clock | None = None,
    origins: OriginRule | None = None,
    publisher: Publisher | None = None,
    deliveries: DeliveryQueue | None = None,
) -> UseCases:
    """`origins`: the browser origins that may call each tenant, the same rule the app answers CORS
    preflights by; without it, only the origins the policies list. `publisher`: the events to partners'
    webhooks (without one, none are sent), whose queue `deliveries` the admin API lists and replays."""
    clock = clock or SystemClock()
    tenancy = Tenancy(policies, pools, provider, origins)
    partners = Partners(publisher, provider)
    admins = Administrators(tenancy, provider, tokens)
    proof = AddressProof(
        tenancy,
        provider,
        held=HeldTokens(sealer),
        limiter=limiter,
        used_sessions=used_sessions,
        clock=clock,
        partners=partners,
    )
    return UseCases(
        sign_up=SignUps(tenancy, provider, limiter=limiter, sealer=sealer, partners=partners),
        sign_in=SignIns(
            tenancy,
            provider,
            limiter=limiter,
            sealer=sealer,
            used_sessions=used_sessions,
            clock=clock,
            proof=proof,
            partners=partners,
        ),
        address_proof=proof,
        recovery=Recovery(tenancy, provider, limiter=limiter, sealer=sealer, partners=partners),
        account=Account(tenancy, provider, tokens=tokens, limiter=limiter, partners=partners),
        admin=AdminRegistrations(tenancy, admins, provider, limiter, clock, partners=partners),
        users=UserAdministration(admins, provider, Cursors(sealer), partners),
        webhooks=WebhookDeliveries(admins, deliveries),
    )


__all__ = [
    "AccessTokens",
    "AddressProofRequired",
    "AdminRegistrations",
    "AdminUpdateAttributes",
    "AdminUser",
    "AttemptLimiter",
    "Caller",
    "ChangePassword",
    "CodeResent",
    "ConfirmForgotPassword",
    "ConfirmSignIn",
    "ConfirmSignUp",
    "Confirmed",
    "DecideSignUp",
    "Decision",
    "Delivery",
    "DeliveryMedium",
    "Denied",
    "Done",
    "ErrorCode",
    "Explain",
    "Failure",
    "ForgotPassword",
    "Form",
    "FormField",
    "FormRequest",
    "Invitation",
    "InvitationQuery",
    "InvitationResent",
    "InvitationStatus",
    "InviteUser",
    "Invited",
    "MemorySingleUse",
    "Operation",
    "OriginRule",
    "PasswordChangeRequired",
    "PasswordReset",
    "PendingSignUp",
    "Profile",
    "ProfileUpdated",
    "RedisSingleUse",
    "RefreshTokens",
    "Refused",
    "ResendConfirmationCode",
    "ResendInvitation",
    "ResetPasswordStep",
    "ResetStarted",
    "RespondToNewPasswordChallenge",
    "SessionSealer",
    "SignIn",
    "SignIns",
    "SignUp",
    "SignUpDecided",
    "SignUpStep",
    "SignUps",
    "SignedIn",
    "SignedUp",
    "Tokens",
    "UpdateAttributes",
    "UseCases",
    "UserAdministered",
    "UserList",
    "UserQuery",
    "UserStatus",
    "UserSummary",
    "VerifyAttribute",
    "Violation",
    "ViolationCode",
    "WebhookDeliveries",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
    "build_use_cases",
    "explain",
]
