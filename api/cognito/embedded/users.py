"""An administrator's calls on one user: AdminUpdateUserAttributes, AdminDisableUser,
AdminUserGlobalSignOut and AdminDeleteUser, with the pool schema enforced and the user's tokens ended
as Cognito ends them (api.cognito.embedded.tokens). AdminEnableUser is moto's own: it does what
Cognito does (the user may sign in again; the access tokens ended on disabling stay ended)."""

from __future__ import annotations

from api.cognito.embedded import tokens, verification
from api.cognito.embedded.moto_internals import ActionResult, EmptyResult, Pool, Response, User, backend_of, param
from api.cognito.embedded.state import REGISTRY


def _target(self: Response) -> tuple[Pool, User]:
    backend = backend_of(self)
    pool = backend.describe_user_pool(param(self, "UserPoolId"))
    return pool, backend.admin_get_user(pool.id, param(self, "Username"))


def admin_update_user_attributes(self: Response) -> ActionResult:
    """As UpdateUserAttributes, but past the app client's write list, and with no answer: a code for a
    changed address is sent all the same (api.cognito.embedded.verification)."""
    pool, user = _target(self)
    verification.update(backend_of(self), pool, user, param(self, "UserAttributes", []))
    user.last_modified_date = REGISTRY.rules(pool.id).clock.now()
    return EmptyResult()


def admin_disable_user(self: Response) -> ActionResult:
    """API Reference, AdminDisableUser: deactivates the user and revokes all its access tokens; its refresh
    tokens are refused while it is disabled ("User is disabled.")."""
    pool, user = _target(self)
    user.enabled = False
    tokens.end(pool, user, tokens.REVOKED, kinds=(tokens.ACCESS,))
    return EmptyResult()


def admin_user_global_sign_out(self: Response) -> ActionResult:
    pool, user = _target(self)
    tokens.end(pool, user, tokens.REVOKED)
    return EmptyResult()


def admin_delete_user(self: Response) -> ActionResult:
    """Deleting a user ends its tokens and forgets its codes, lock, temporary password and sessions: a new
    user of the same name starts clean, and the old one's tokens do not open the new one's account."""
    pool, user = _target(self)
    tokens.end(pool, user, tokens.DELETED)
    backend_of(self).admin_delete_user(pool.id, user.username)
    REGISTRY.rules(pool.id).forget(user.username)
    return EmptyResult()
