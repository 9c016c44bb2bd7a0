"""The signed-in user's own calls, authorised by an access token (api.cognito.embedded.tokens.signed_in:
revoked, expired and foreign tokens refused as Cognito refuses them): GetUser, UpdateUserAttributes,
VerifyUserAttribute, GetUserAttributeVerificationCode (which moto lacks), ChangePassword and
GlobalSignOut. The app client's read and write lists and the pool schema apply.
"""

from __future__ import annotations

from api.cognito.embedded import attributes, tokens, verification
from api.cognito.embedded.checks import check_password
from api.cognito.embedded.moto_internals import (
    ActionResult,
    EmptyResult,
    NotAuthorizedError,
    Response,
    backend_for_access_token,
    has_password,
    param,
    set_password,
)
from api.cognito.embedded.state import REGISTRY


def get_user(self: Response) -> ActionResult:
    pool, user, client_id = tokens.signed_in(self, param(self, "AccessToken"))
    body = user.to_json(extended=True, attributes_key="UserAttributes")
    shown = attributes.readable(pool, client_id, user.attribute_lookup)
    body["UserAttributes"] = [{"Name": k, "Value": v} for k, v in shown.items()]
    return ActionResult(body)


def update_user_attributes(self: Response) -> ActionResult:
    """The schema and the client's WriteAttributes apply; a changed e-mail address is unverified and, in
    a pool that verifies it, sent a code: CodeDeliveryDetailsList says where."""
    token = param(self, "AccessToken")
    pool, user, client_id = tokens.signed_in(self, token)
    given = param(self, "UserAttributes", [])
    attributes.check_client_writes(pool, client_id, (a["Name"] for a in given))
    sent = verification.update(backend_for_access_token(self, token), pool, user, given)
    user.last_modified_date = REGISTRY.rules(pool.id).clock.now()
    return ActionResult({"CodeDeliveryDetailsList": sent} if sent else {})


def verify_user_attribute(self: Response) -> ActionResult:
    token = param(self, "AccessToken")
    pool, user, _ = tokens.signed_in(self, token)
    backend = backend_for_access_token(self, token)
    verification.verify(backend, pool, user, param(self, "AttributeName"), param(self, "Code"))
    return EmptyResult()


def get_user_attribute_verification_code(self: Response) -> ActionResult:
    pool, user, _ = tokens.signed_in(self, param(self, "AccessToken"))
    attribute = param(self, "AttributeName")
    verification.check_verifiable(user, attribute)
    return ActionResult({"CodeDeliveryDetails": verification.send_verification(pool, user, attribute)})


def change_password(self: Response) -> ActionResult:
    """The proposed password must meet the pool's policy (checked first, as moto does) and the previous
    one must be the user's. The user's tokens stay valid: Cognito ends them only on sign-out."""
    pool, user, _ = tokens.signed_in(self, param(self, "AccessToken"))
    proposed = param(self, "ProposedPassword") or ""
    check_password(pool, proposed)
    if not has_password(user, param(self, "PreviousPassword")):
        raise NotAuthorizedError("Incorrect username or password.")
    set_password(user, proposed)
    user.last_modified_date = REGISTRY.rules(pool.id).clock.now()
    return EmptyResult()


def global_sign_out(self: Response) -> ActionResult:
    """Every refresh and access token of the user ends (API Reference, GlobalSignOut)."""
    pool, user, _ = tokens.signed_in(self, param(self, "AccessToken"))
    tokens.end(pool, user, tokens.REVOKED)
    return EmptyResult()
