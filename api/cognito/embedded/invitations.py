"""AdminCreateUser, including MessageAction=RESEND: a temporary password generated to the pool's
policy, delivered to the outbox, and remembered so that it expires after the pool's validity days."""

from __future__ import annotations

from api.cognito.embedded import attributes, passwords
from api.cognito.embedded.checks import check_password, exists_message, password_policy
from api.cognito.embedded.delivery import send
from api.cognito.embedded.lookups import find_user
from api.cognito.embedded.moto_internals import (
    ActionResult,
    JsonRESTError,
    Response,
    UsernameExistsException,
    UserStatus,
    backend_of,
    param,
    set_password,
)
from api.cognito.embedded.state import REGISTRY


class UnsupportedUserStateError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("UnsupportedUserStateException", message)


def admin_create_user(self: Response) -> ActionResult:
    pool_id = param(self, "UserPoolId")
    username = param(self, "Username")
    action = param(self, "MessageAction")
    given = param(self, "TemporaryPassword")
    user_attributes = param(self, "UserAttributes", [])
    backend = backend_of(self)
    pool = backend.describe_user_pool(pool_id)
    rules = REGISTRY.rules(pool.id)
    if given is not None:
        check_password(pool, given)
    password = given or passwords.generate(password_policy(pool))
    if action == "RESEND":
        # Cognito keeps the user (sub, attributes, groups) and only issues a new password and validity.
        user = backend.admin_get_user(pool_id, username)
        if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
            raise UnsupportedUserStateError(
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD."
            )
        set_password(user, password)
    else:
        if find_user(pool, username) is not None:
            raise UsernameExistsException(exists_message(pool, admin=True))
        attributes.check_new_user(pool, user_attributes, username, require=False)
        user = backend.admin_create_user(pool_id, username, "SUPPRESS", password, user_attributes)
        user.create_date = rules.clock.now()
    user.last_modified_date = rules.clock.now()
    with rules.lock:
        rules.temporary_passwords[user.username] = rules.clock.now()
    if action != "SUPPRESS":
        send(rules, pool, user, "INVITATION", temporary_password=password)
    return ActionResult({"User": user.to_json(extended=True)})
