"""Reading, changing and deleting users: GetUser, AdminUpdateUserAttributes, UpdateUserAttributes and
AdminDeleteUser, with the pool schema and the app client's read and write lists enforced."""

from __future__ import annotations

from api.cognito.embedded import attributes
from api.cognito.embedded.moto_internals import (
    ActionResult,
    EmptyResult,
    Response,
    access_token_client,
    backend_for_access_token,
    backend_of,
    knows_access_token,
    param,
    pools,
)
from api.cognito.embedded.state import REGISTRY


def admin_delete_user(self: Response) -> ActionResult:
    """Deleting a user also forgets its codes, lock, temporary password and sessions: a new user of the
    same name starts clean."""
    backend = backend_of(self)
    pool = backend.describe_user_pool(param(self, "UserPoolId"))
    user = backend.admin_get_user(pool.id, param(self, "Username"))
    backend.admin_delete_user(pool.id, user.username)
    REGISTRY.rules(pool.id).forget(user.username)
    return EmptyResult()


def admin_update_user_attributes(self: Response) -> ActionResult:
    pool_id = param(self, "UserPoolId")
    user_attributes = param(self, "UserAttributes", [])
    backend = backend_of(self)
    pool = backend.describe_user_pool(pool_id)
    backend.admin_get_user(pool_id, param(self, "Username"))
    attributes.check_update(pool, user_attributes)
    backend.admin_update_user_attributes(pool_id, param(self, "Username"), user_attributes)
    return EmptyResult()


def update_user_attributes(self: Response) -> ActionResult:
    token = param(self, "AccessToken")
    user_attributes = param(self, "UserAttributes", [])
    backend = backend_for_access_token(self, token)
    for pool in pools(backend):
        if knows_access_token(pool, token):
            client_id = access_token_client(pool, token)
            attributes.check_client_writes(pool, client_id, (a["Name"] for a in user_attributes))
            attributes.check_update(pool, user_attributes)
            break
    backend.update_user_attributes(token, user_attributes)
    return EmptyResult()


def get_user(self: Response) -> ActionResult:
    token = param(self, "AccessToken")
    backend = backend_for_access_token(self, token)
    user = backend.get_user(token)
    pool = backend.describe_user_pool(user.user_pool_id)
    client_id = access_token_client(pool, token)
    body = user.to_json(extended=True, attributes_key="UserAttributes")
    shown = attributes.readable(pool, client_id, user.attribute_lookup)
    body["UserAttributes"] = [{"Name": k, "Value": v} for k, v in shown.items()]
    return ActionResult(body)
