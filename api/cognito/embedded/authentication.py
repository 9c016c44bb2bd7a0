"""Signing in: InitiateAuth and AdminInitiateAuth (REFRESH_TOKEN_AUTH among them, answered by
api.cognito.embedded.tokens), the NEW_PASSWORD_REQUIRED challenge and its answer, reset-required users,
expiring temporary passwords, and the ID token's claims. Every token a sign-in issues is filed under its
user (tokens.file_result).

The challenge carries Cognito's `requiredAttributes` and `userAttributes`; its session is bound to its
user and expires (AuthSessionValidity, 3 minutes by default).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from api.cognito.embedded import attributes, tokens
from api.cognito.embedded.checks import (
    PasswordResetRequiredError,
    check_password,
    check_secret_hash,
    password_policy,
    prevents_existence_errors,
)
from api.cognito.embedded.lookups import find_user
from api.cognito.embedded.moto_internals import (
    ActionResult,
    Handler,
    InvalidParameterException,
    NotAuthorizedError,
    Pool,
    Response,
    UserNotFoundError,
    UserStatus,
    backend_of,
    has_password,
    knows_session,
    param,
    pool_for_client,
    sign_id_token,
)
from api.cognito.embedded.state import REGISTRY

DEFAULT_TEMPORARY_PASSWORD_DAYS = 7
DEFAULT_AUTH_SESSION_MINUTES = 3


# ---------------------------------------------------------------- tokens


def create_id_token(pool: Pool, client_id: str, username: str, origin_jti: str) -> tuple[str, int]:
    """Cognito's ID token carries the user's attributes the client may read; moto's only custom ones."""
    user = find_user(pool, username)
    if user is None:  # not reached: moto makes the access token first, and that fails for a missing user
        raise UserNotFoundError("User does not exist.")
    claims: dict[str, Any] = {"cognito:username": user.username, "origin_jti": origin_jti}
    for name, value in attributes.readable(pool, client_id, user.attribute_lookup).items():
        if name != "sub":
            claims[name] = value == "true" if name in attributes.VERIFIED else value
    if user.groups:
        claims["cognito:groups"] = sorted(group.group_name for group in user.groups)
    return sign_id_token(pool, client_id, username, claims)


# ---------------------------------------------------------------- sign-in


def _check_temporary_password(pool: Pool, username: str, password: str | None) -> None:
    user = find_user(pool, username)
    if user is None or user.status != UserStatus.FORCE_CHANGE_PASSWORD or not has_password(user, password):
        return
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        issued = rules.temporary_passwords.get(user.username)
    if issued is None:
        return
    days = int(password_policy(pool).get("TemporaryPasswordValidityDays", DEFAULT_TEMPORARY_PASSWORD_DAYS))
    if rules.clock.now() - issued > timedelta(days=days):
        raise NotAuthorizedError("Temporary password has expired and must be reset by an administrator.")


def _with_challenge_details(pool: Pool, username: str, result: dict[str, Any]) -> dict[str, Any]:
    """Cognito's NEW_PASSWORD_REQUIRED parameters, and the session bound to its user."""
    if result.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        return result
    user = find_user(pool, username)
    if user is None:
        return result
    rules = REGISTRY.rules(pool.id)
    current = {k: v for k, v in user.attribute_lookup.items() if k != "sub"}
    rules.open_session(result["Session"], user.username)
    result["ChallengeParameters"] = {
        **result.get("ChallengeParameters", {}),
        "USERNAME": user.username,
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": json.dumps([f"userAttributes.{n}" for n in attributes.missing_required(pool, current)]),
        "userAttributes": json.dumps(current),
    }
    return result


def _check_reset_required(pool: Pool, username: str) -> None:
    """After AdminResetUserPassword the user must reset the password before signing in again."""
    user = find_user(pool, username)
    if user is not None and user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredError()


def _known_user_or_generic_refusal(pool: Pool, client_id: str | None, username: str) -> None:
    if find_user(pool, username) is None and client_id in pool.clients and prevents_existence_errors(pool, client_id):
        raise NotAuthorizedError("Incorrect username or password.")


def initiate_auth(self: Response) -> ActionResult:
    client_id = param(self, "ClientId")
    flow = param(self, "AuthFlow")
    params = param(self, "AuthParameters") or {}
    backend, pool = pool_for_client(self, client_id)
    username = params.get("USERNAME", "")
    if flow in tokens.REFRESH_FLOWS:
        return ActionResult(tokens.refresh(pool, client_id, params))
    if flow == "USER_PASSWORD_AUTH":
        check_secret_hash(pool, client_id, username, params.get("SECRET_HASH"))
        _known_user_or_generic_refusal(pool, client_id, username)
        _check_reset_required(pool, username)
        _check_temporary_password(pool, username, params.get("PASSWORD"))
    result = backend.initiate_auth(client_id, flow, params)
    tokens.file_result(pool, client_id, username, result)
    return ActionResult(_with_challenge_details(pool, username, result))


def admin_initiate_auth(self: Response) -> ActionResult:
    pool_id = param(self, "UserPoolId")
    client_id = param(self, "ClientId")
    flow = param(self, "AuthFlow")
    params = param(self, "AuthParameters") or {}
    backend = backend_of(self)
    pool = backend.describe_user_pool(pool_id)
    username = params.get("USERNAME", "")
    if flow in tokens.REFRESH_FLOWS and client_id in pool.clients:
        return ActionResult(tokens.refresh(pool, client_id, params))
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        _known_user_or_generic_refusal(pool, client_id, username)
        _check_reset_required(pool, username)
        _check_temporary_password(pool, username, params.get("PASSWORD"))
    result = backend.admin_initiate_auth(pool_id, client_id, flow, params)
    tokens.file_result(pool, client_id, username, result)
    return ActionResult(_with_challenge_details(pool, username, result))


# ---------------------------------------------------------------- the new-password challenge


def _new_password_answer(self: Response) -> None:
    """Check and apply a NEW_PASSWORD_REQUIRED answer before moto completes it."""
    session = param(self, "Session")
    client_id = param(self, "ClientId")
    answers: dict[str, str] = param(self, "ChallengeResponses") or {}
    backend, pool = pool_for_client(self, client_id)
    if param(self, "UserPoolId") is None:  # the admin variant is authorised by IAM, not by the hash
        check_secret_hash(pool, client_id, answers.get("USERNAME", ""), answers.get("SECRET_HASH"))
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        issued = rules.sessions.get(session)
    if issued is None or not knows_session(backend, session):
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    validity = int(pool.clients[client_id].extended_config.get("AuthSessionValidity", DEFAULT_AUTH_SESSION_MINUTES))
    if rules.clock.now() - issued.issued_at > timedelta(minutes=validity):
        rules.close_session(session)
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    user = find_user(pool, answers.get("USERNAME", ""))
    if user is None or user.username != issued.username:
        # The session belongs to another user: answering it must not set this user's password.
        raise NotAuthorizedError("Invalid session for the user.")
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    new_values = {
        key.removeprefix("userAttributes."): value
        for key, value in answers.items()
        if key.startswith("userAttributes.")
    }
    for name in new_values:
        if name in user.attribute_lookup and name in pool.schema_attributes:
            raise InvalidParameterException(f"Cannot modify an already provided {name}")
    attributes.check_client_writes(pool, client_id, new_values)
    attributes.check_update(pool, [{"Name": k, "Value": v} for k, v in new_values.items()])
    missing = attributes.missing_required(pool, {**user.attribute_lookup, **new_values})
    if missing:
        raise InvalidParameterException(
            "Invalid user attributes: " + "".join(f"{name}: The attribute is required\n" for name in missing)
        )
    check_password(pool, answers.get("NEW_PASSWORD") or "")
    if new_values:
        user.update_attributes([{"Name": k, "Value": v} for k, v in new_values.items()])
    rules.close_session(session)
    with rules.lock:
        rules.temporary_passwords.pop(user.username, None)


def answering(original: Handler) -> Handler:
    """RespondToAuthChallenge and its admin variant: a new-password answer is checked first, and the
    tokens of any answer that completes the sign-in are filed under its user."""

    def respond(self: Response) -> ActionResult:
        if param(self, "ChallengeName") == "NEW_PASSWORD_REQUIRED":
            _new_password_answer(self)
        answer = original(self)
        client_id = param(self, "ClientId")
        _, pool = pool_for_client(self, client_id)
        result = answer.result
        if isinstance(result, dict):
            tokens.file_result(pool, client_id, (param(self, "ChallengeResponses") or {}).get("USERNAME", ""), result)
        return answer

    return respond
