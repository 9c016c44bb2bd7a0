"""SignUp, ConfirmSignUp, ResendConfirmationCode and AdminConfirmSignUp, as Cognito documents them.

Codes are generated, delivered to the outbox, checked in constant time, expire after 24 hours and
lock the user out for a while after too many wrong guesses (api.cognito.embedded.codes); admin-only
pools refuse SignUp.
"""

from __future__ import annotations

from typing import Any

from api.cognito.embedded import attributes, codes
from api.cognito.embedded.checks import check_secret_hash, exists_message, prevents_existence_errors
from api.cognito.embedded.delivery import issue_code, simulated
from api.cognito.embedded.lookups import find_user
from api.cognito.embedded.moto_internals import (
    ActionResult,
    CodeMismatchException,
    EmptyResult,
    InvalidParameterException,
    NotAuthorizedError,
    Response,
    UsernameExistsException,
    UserNotFoundError,
    UserStatus,
    backend_of,
    param,
    pool_for_client,
)
from api.cognito.embedded.state import REGISTRY


def sign_up(self: Response) -> ActionResult:
    client_id = param(self, "ClientId")
    username = param(self, "Username")
    user_attributes = param(self, "UserAttributes", [])
    backend, pool = pool_for_client(self, client_id)
    check_secret_hash(pool, client_id, username, param(self, "SecretHash"))
    if pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorizedError("SignUp is not permitted for this user pool")
    attributes.check_client_writes(pool, client_id, (a["Name"] for a in user_attributes))
    if find_user(pool, username) is not None:
        raise UsernameExistsException(exists_message(pool, admin=False))
    attributes.check_new_user(pool, user_attributes, username)
    user, _ = backend.sign_up(
        client_id=client_id, username=username, password=param(self, "Password"), attributes=user_attributes
    )
    rules = REGISTRY.rules(pool.id)
    user.create_date = user.last_modified_date = rules.clock.now()
    response: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.id}
    delivery = issue_code(rules, pool, user)
    if delivery is not None:
        response["CodeDeliveryDetails"] = delivery
    return ActionResult(response)


def confirm_sign_up(self: Response) -> ActionResult:
    client_id = param(self, "ClientId")
    _, pool = pool_for_client(self, client_id)
    check_secret_hash(pool, client_id, param(self, "Username"), param(self, "SecretHash"))
    rules = REGISTRY.rules(pool.id)
    user = find_user(pool, param(self, "Username"))
    if user is None:
        if prevents_existence_errors(pool, client_id):
            raise CodeMismatchException(codes.MISMATCH)
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status != UserStatus.UNCONFIRMED:
        # Only a user who signed up waits for a code: an invited user must answer the challenge instead.
        raise NotAuthorizedError(f"User cannot be confirmed. Current status is {UserStatus(user.status).value}")
    codes.redeem(rules, user.username, codes.SIGN_UP, param(self, "ConfirmationCode"))
    user.status = UserStatus.CONFIRMED
    # Confirming proves the address the code went to.
    user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return EmptyResult()


def resend_confirmation_code(self: Response) -> ActionResult:
    client_id = param(self, "ClientId")
    username = param(self, "Username")
    _, pool = pool_for_client(self, client_id)
    check_secret_hash(pool, client_id, username, param(self, "SecretHash"))
    user = find_user(pool, username)
    if user is None:
        if prevents_existence_errors(pool, client_id):
            # Cognito simulates a delivery for users that do not exist.
            return ActionResult({"CodeDeliveryDetails": simulated(pool, username)})
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status == UserStatus.CONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    if user.status != UserStatus.UNCONFIRMED:
        raise InvalidParameterException("Can't resend confirmation code for this user")
    delivery = issue_code(REGISTRY.rules(pool.id), pool, user)
    return ActionResult({"CodeDeliveryDetails": delivery} if delivery else {})


def admin_confirm_sign_up(self: Response) -> ActionResult:
    user = backend_of(self).admin_get_user(param(self, "UserPoolId"), param(self, "Username"))
    if user.status != UserStatus.UNCONFIRMED:
        raise NotAuthorizedError(f"User cannot be confirmed. Current status is {UserStatus(user.status).value}")
    user.status = UserStatus.CONFIRMED
    return EmptyResult()
