"""Password recovery: ForgotPassword, ConfirmForgotPassword and AdminResetUserPassword, as Cognito's API
Reference and Developer Guide describe them.

moto sends nothing, hands the code back in an `x-moto-forgot-password-confirmation-code` header and
accepts any code that does not start with its own prefix, so any code resets any password. Here a reset
code (api.cognito.embedded.codes: six digits, valid for 1 hour, attempt-limited as sign-up codes are)
goes to the outbox as PASSWORD_RESET_CODE, to the first verified address the pool's
AccountRecoverySetting names; ConfirmForgotPassword spends it, sets the new password (the pool's
policy applied) and confirms a user whose password an administrator reset. With
PreventUserExistenceErrors ENABLED, an unknown or disabled user, or one without a verified address,
gets a simulated delivery from ForgotPassword and CodeMismatchException from ConfirmForgotPassword
(Developer Guide, managing error responses). Neither call ends the user's tokens: Cognito documents
only the sign-out calls as ending them.
"""

from __future__ import annotations

from api.cognito.embedded import codes
from api.cognito.embedded.checks import check_password, check_secret_hash, prevents_existence_errors
from api.cognito.embedded.delivery import send_code, simulated
from api.cognito.embedded.lookups import find_user
from api.cognito.embedded.moto_internals import (
    ActionResult,
    CodeMismatchException,
    EmptyResult,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    Pool,
    Response,
    User,
    UserNotFoundError,
    UserStatus,
    backend_of,
    param,
    pool_for_client,
    set_password,
)
from api.cognito.embedded.state import REGISTRY

# API Reference, ForgotPassword (the legacy behaviour, without AccountRecoverySetting): a verified phone
# number first, else a verified e-mail address.
LEGACY_RECOVERY = [{"Name": "verified_phone_number", "Priority": 1}, {"Name": "verified_email", "Priority": 2}]
RECOVERY_ATTRIBUTES = {"verified_email": "email", "verified_phone_number": "phone_number"}
NO_VERIFIED_ADDRESS = "Cannot reset password for the user as there is no registered/verified email or phone_number"
NOT_NOW = "User password cannot be reset in the current state."
UNKNOWN = "Username/client id combination not found."


def _mechanisms(pool: Pool) -> list[str]:
    recovery = pool.extended_config.get("AccountRecoverySetting") or {}
    chosen = recovery.get("RecoveryMechanisms") or LEGACY_RECOVERY
    return [mechanism["Name"] for mechanism in sorted(chosen, key=lambda mechanism: int(mechanism["Priority"]))]


def _recovery_attribute(pool: Pool, user: User) -> str | None:
    """The attribute the reset code goes to: the first of the pool's mechanisms the user has verified."""
    for mechanism in _mechanisms(pool):
        name = RECOVERY_ATTRIBUTES.get(mechanism)
        if name and user.attribute_lookup.get(name) and user.attribute_lookup.get(f"{name}_verified") == "true":
            return name
    return None


def _send_reset_code(pool: Pool, user: User, attribute: str) -> dict[str, str]:
    return send_code(REGISTRY.rules(pool.id), pool, user, codes.RESET, kind="PASSWORD_RESET_CODE", attribute=attribute)


def forgot_password(self: Response) -> ActionResult:
    client_id = param(self, "ClientId")
    username = param(self, "Username")
    _, pool = pool_for_client(self, client_id)
    check_secret_hash(pool, client_id, username, param(self, "SecretHash"))
    if _mechanisms(pool)[0] == "admin_only":  # self-service recovery is off
        raise NotAuthorizedError("Contact administrator to reset password.")
    hide = prevents_existence_errors(pool, client_id)
    user = find_user(pool, username)
    if user is None:
        if hide:
            return ActionResult({"CodeDeliveryDetails": simulated(pool, username)})
        raise UserNotFoundError(UNKNOWN)
    if not user.enabled:
        if hide:
            return ActionResult({"CodeDeliveryDetails": simulated(pool, username)})
        raise NotAuthorizedError("User is disabled.")
    if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
        # An invited user has no password of its own yet: the administrator resends the invitation.
        raise NotAuthorizedError(NOT_NOW)
    attribute = _recovery_attribute(pool, user)
    if attribute is None:
        if hide:
            return ActionResult({"CodeDeliveryDetails": simulated(pool, username)})
        raise InvalidParameterException(NO_VERIFIED_ADDRESS)
    return ActionResult({"CodeDeliveryDetails": _send_reset_code(pool, user, attribute)})


def confirm_forgot_password(self: Response) -> ActionResult:
    client_id = param(self, "ClientId")
    username = param(self, "Username")
    _, pool = pool_for_client(self, client_id)
    check_secret_hash(pool, client_id, username, param(self, "SecretHash"))
    password = param(self, "Password") or ""
    check_password(pool, password)
    hide = prevents_existence_errors(pool, client_id)
    user = find_user(pool, username)
    if user is None or not user.enabled:
        if hide:
            raise CodeMismatchException(codes.MISMATCH)
        if user is None:
            raise UserNotFoundError(UNKNOWN)
        raise NotAuthorizedError("User is disabled.")
    rules = REGISTRY.rules(pool.id)
    # Developer Guide, managing error responses: ExpiredCodeException when no code was requested.
    codes.redeem(rules, user.username, codes.RESET, param(self, "ConfirmationCode"), unrequested=_expired)
    set_password(user, password)
    if user.status == UserStatus.RESET_REQUIRED:
        user.status = UserStatus.CONFIRMED
    user.last_modified_date = rules.clock.now()
    return EmptyResult()


def _expired() -> Exception:
    return ExpiredCodeException(codes.EXPIRED)


def admin_reset_user_password(self: Response) -> ActionResult:
    """The user must reset the password (RESET_REQUIRED: PasswordResetRequiredException at sign-in) with
    the code sent to its verified address; asking again sends a new code."""
    backend = backend_of(self)
    pool = backend.describe_user_pool(param(self, "UserPoolId"))
    user = backend.admin_get_user(pool.id, param(self, "Username"))
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    if user.status not in (UserStatus.CONFIRMED, UserStatus.RESET_REQUIRED):
        raise NotAuthorizedError(NOT_NOW)
    attribute = _recovery_attribute(pool, user)
    if attribute is None:
        raise InvalidParameterException(NO_VERIFIED_ADDRESS)
    user.status = UserStatus.RESET_REQUIRED
    user.last_modified_date = REGISTRY.rules(pool.id).clock.now()
    _send_reset_code(pool, user, attribute)
    return EmptyResult()
