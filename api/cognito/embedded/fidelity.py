"""Cognito's rules that moto leaves out, enforced behind the boto3 API.

moto stores user-pool state but accepts any confirmation code, generates no temporary password, never
expires anything and lets a challenge session answer for any user (../shared/research/moto-fidelity.md).
This module replaces moto's handlers for the user-pool calls regapi makes, and the admin calls a
developer uses beside them, with ones that behave as Cognito's API reference documents. A boto3 client,
and therefore the unchanged adapter, sees Cognito's answers, in-process and over HTTP alike.

The handlers are installed on moto's classes once per process (`install`). The state moto lacks lives
in `api.cognito.embedded.state`.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UsernameExistsException,
    UserNotFoundError,
)
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    RegionAgnosticBackend,
    UserStatus,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from api.cognito.adapter import secret_hash
from api.cognito.embedded import attributes, passwords
from api.cognito.embedded.outbox import MessageKind, OutboxMessage
from api.cognito.embedded.state import REGISTRY, IssuedCode, IssuedSession, PoolRules
from api.cognito.port import mask_destination

CODE_VALIDITY = timedelta(hours=24)  # Cognito: sign-up codes are valid for 24 hours
# Wrong codes a user may send before Cognito answers LimitExceededException for a while.
MAX_CODE_FAILURES = 5
CODE_LOCKOUT = timedelta(minutes=15)
DEFAULT_TEMPORARY_PASSWORD_DAYS = 7
DEFAULT_AUTH_SESSION_MINUTES = 3

Handler = Callable[[CognitoIdpResponse], ActionResult]


class UnsupportedUserStateError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("UnsupportedUserStateException", message)


class LimitExceededError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


# ---------------------------------------------------------------- helpers


def _pool_for_client(response: CognitoIdpResponse, client_id: str) -> tuple[CognitoIdpBackend, CognitoIdpUserPool]:
    backend = RegionAgnosticBackend(response.current_account, response.region)._find_backend_for_clientid(client_id)
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return backend, pool
    raise ResourceNotFoundError(client_id)


def _check_secret_hash(pool: CognitoIdpUserPool, client_id: str, username: str, given: str | None) -> None:
    """Cognito requires SECRET_HASH on every public call of a client that has a secret."""
    client = pool.clients[client_id]
    if not client.generate_secret:
        return
    if not given:
        raise NotAuthorizedError(f"Client {client_id} is configured for secret but secret was not received")
    # Cognito hashes the UTF-8 bytes; moto's own check encodes latin-1 and breaks on other usernames.
    if not hmac.compare_digest(secret_hash(client.secret, username, client.id), given):
        raise NotAuthorizedError(f"Unable to verify secret hash for client {client_id}")


def _prevents_existence_errors(pool: CognitoIdpUserPool, client_id: str) -> bool:
    return bool(pool.clients[client_id].extended_config.get("PreventUserExistenceErrors") == "ENABLED")


def _password_policy(pool: CognitoIdpUserPool) -> Mapping[str, Any]:
    policy: Mapping[str, Any] = pool.extended_config.get("Policies", {}).get("PasswordPolicy", {})
    return policy


def _validate_password(backend: CognitoIdpBackend, user_pool_id: str, password: str) -> None:
    """Replaces moto's check, which every password path of the backend calls."""
    passwords.check(_password_policy(backend.describe_user_pool(user_pool_id)), password)


def _case_insensitive(pool: CognitoIdpUserPool) -> bool:
    return pool.extended_config.get("UsernameConfiguration", {}).get("CaseSensitive") is False


_moto_get_user = CognitoIdpUserPool._get_user


def _get_user(pool: CognitoIdpUserPool, username: str) -> CognitoIdpUser | None:
    """moto's lookup, plus Cognito's case-insensitive usernames (UsernameConfiguration.CaseSensitive=False)."""
    user: CognitoIdpUser | None = _moto_get_user(pool, username)
    if user is not None or not username or not _case_insensitive(pool):
        return user
    folded = username.casefold()
    email_username = "email" in pool.extended_config.get("UsernameAttributes", [])
    for candidate in pool.users.values():
        if candidate.username.casefold() == folded:
            return candidate
        if email_username and candidate.attribute_lookup.get("email", "").casefold() == folded:
            return candidate
    return None


def _delivery(user: CognitoIdpUser) -> dict[str, str] | None:
    if email := user.attribute_lookup.get("email"):
        return {"Destination": mask_destination(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    if phone := user.attribute_lookup.get("phone_number"):
        return {"Destination": mask_destination(phone), "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    return None


def _tenant(response: CognitoIdpResponse) -> str | None:
    # regapi passes its tenant as ClientMetadata, as a CustomMessage trigger would receive it.
    metadata = response._get_param("ClientMetadata") or {}
    tenant = metadata.get("tenant")
    return tenant if isinstance(tenant, str) else None


def _send(
    rules: PoolRules,
    pool: CognitoIdpUserPool,
    user: CognitoIdpUser,
    kind: MessageKind,
    tenant: str | None,
    *,
    code: str | None = None,
    temporary_password: str | None = None,
) -> None:
    rules.outbox.deliver(
        OutboxMessage(
            pool_id=pool.id,
            tenant=tenant,
            username=user.username,
            kind=kind,
            destination=user.attribute_lookup.get("email") or user.attribute_lookup.get("phone_number") or "",
            sent_at=rules.clock.now(),
            code=code,
            temporary_password=temporary_password,
        )
    )


def _issue_code(
    rules: PoolRules, pool: CognitoIdpUserPool, user: CognitoIdpUser, tenant: str | None
) -> dict[str, str] | None:
    """Send a fresh code, replacing any earlier one, when the pool verifies the user's address."""
    delivery = _delivery(user)
    if delivery is None or delivery["AttributeName"] not in pool.extended_config.get("AutoVerifiedAttributes", []):
        return None
    code = f"{secrets.randbelow(1_000_000):06d}"
    with rules.lock:
        previous = rules.codes.get(user.username)
        fresh = IssuedCode(code, rules.clock.now())
        if previous is not None and previous.locked_until is not None:
            # A resend must not lift a lock, or it would reset the guessing budget.
            fresh.failures, fresh.locked_until = previous.failures, previous.locked_until
        rules.codes[user.username] = fresh
    _send(rules, pool, user, "SIGN_UP_CODE", tenant, code=code)
    return delivery


def _exists_message(pool: CognitoIdpUserPool, admin: bool) -> str:
    if "email" in pool.extended_config.get("UsernameAttributes", []):
        return "An account with the given email already exists."
    return "User account already exists" if admin else "User already exists"


# ---------------------------------------------------------------- pools


def create_user_pool(self: CognitoIdpResponse) -> ActionResult:
    name = self.parameters.pop("PoolName")
    pool = self.backend.create_user_pool(name, self.parameters)
    attributes.add_standard_attributes(pool)
    return ActionResult({"UserPool": pool.to_json(extended=True)})


def update_user_pool(self: CognitoIdpResponse) -> ActionResult:
    """UpdateUserPool resets the updatable settings it is not given; moto also forgot the ones that can
    never change after creation (username attributes and case sensitivity)."""
    params = dict(self.parameters)
    pool = self.backend.describe_user_pool(params.pop("UserPoolId"))
    fixed = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration")
    pool.update_extended_config({**params, **{k: pool.extended_config[k] for k in fixed if k in pool.extended_config}})
    return EmptyResult()


# ---------------------------------------------------------------- sign-up and codes


def sign_up(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    username = self._get_param("Username")
    user_attributes = self._get_param("UserAttributes", [])
    backend, pool = _pool_for_client(self, client_id)
    _check_secret_hash(pool, client_id, username, self._get_param("SecretHash"))
    if pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorizedError("SignUp is not permitted for this user pool")
    attributes.check_client_writes(pool, client_id, (a["Name"] for a in user_attributes))
    if pool._get_user(username) is not None:
        raise UsernameExistsException(_exists_message(pool, admin=False))
    attributes.check_new_user(pool, user_attributes, username)
    user, _ = backend.sign_up(
        client_id=client_id, username=username, password=self._get_param("Password"), attributes=user_attributes
    )
    rules = REGISTRY.rules(pool.id)
    user.create_date = user.last_modified_date = rules.clock.now()
    response: dict[str, Any] = {"UserConfirmed": False, "UserSub": user.id}
    delivery = _issue_code(rules, pool, user, _tenant(self))
    if delivery is not None:
        response["CodeDeliveryDetails"] = delivery
    return ActionResult(response)


def confirm_sign_up(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    _, pool = _pool_for_client(self, client_id)
    _check_secret_hash(pool, client_id, self._get_param("Username"), self._get_param("SecretHash"))
    rules = REGISTRY.rules(pool.id)
    user = pool._get_user(self._get_param("Username"))
    if user is None:
        if _prevents_existence_errors(pool, client_id):
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status != UserStatus.UNCONFIRMED:
        # Only a user who signed up waits for a code: an invited user must answer the challenge instead.
        raise NotAuthorizedError(f"User cannot be confirmed. Current status is {UserStatus(user.status).value}")
    now = rules.clock.now()
    with rules.lock:
        issued = rules.codes.get(user.username)
        if issued is not None and issued.locked_until is not None:
            if now < issued.locked_until:
                # While locked even the right code is refused, or guessing would only be slowed down.
                raise LimitExceededError("Attempt limit exceeded, please try after some time.")
            issued.failures, issued.locked_until = 0, None
        if issued is None or not secrets.compare_digest(issued.code, str(self._get_param("ConfirmationCode"))):
            if issued is not None:
                issued.failures += 1
                if issued.failures >= MAX_CODE_FAILURES:
                    issued.locked_until = now + CODE_LOCKOUT
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        if now - issued.issued_at > CODE_VALIDITY:
            raise ExpiredCodeException("Invalid code provided, please request a code again.")
        del rules.codes[user.username]
    user.status = UserStatus.CONFIRMED
    # Confirming proves the address the code went to.
    user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return EmptyResult()


def resend_confirmation_code(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    username = self._get_param("Username")
    _, pool = _pool_for_client(self, client_id)
    _check_secret_hash(pool, client_id, username, self._get_param("SecretHash"))
    user = pool._get_user(username)
    if user is None:
        if _prevents_existence_errors(pool, client_id):
            # Cognito simulates a delivery for users that do not exist.
            fake = {
                "Destination": mask_destination(f"{username}@x"),
                "DeliveryMedium": "EMAIL",
                "AttributeName": "email",
            }
            return ActionResult({"CodeDeliveryDetails": fake})
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status == UserStatus.CONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    if user.status != UserStatus.UNCONFIRMED:
        raise InvalidParameterException("Can't resend confirmation code for this user")
    delivery = _issue_code(REGISTRY.rules(pool.id), pool, user, _tenant(self))
    return ActionResult({"CodeDeliveryDetails": delivery} if delivery else {})


def admin_confirm_sign_up(self: CognitoIdpResponse) -> ActionResult:
    user = self.backend.admin_get_user(self._get_param("UserPoolId"), self._get_param("Username"))
    if user.status != UserStatus.UNCONFIRMED:
        raise NotAuthorizedError(f"User cannot be confirmed. Current status is {UserStatus(user.status).value}")
    user.status = UserStatus.CONFIRMED
    return EmptyResult()


# ---------------------------------------------------------------- admin-created users


def admin_create_user(self: CognitoIdpResponse) -> ActionResult:
    pool_id = self._get_param("UserPoolId")
    username = self._get_param("Username")
    action = self._get_param("MessageAction")
    given = self._get_param("TemporaryPassword")
    user_attributes = self._get_param("UserAttributes", [])
    backend = self.backend
    pool = backend.describe_user_pool(pool_id)
    rules = REGISTRY.rules(pool.id)
    if given is not None:
        passwords.check(_password_policy(pool), given)
    password = given or passwords.generate(_password_policy(pool))
    if action == "RESEND":
        # Cognito keeps the user (sub, attributes, groups) and only issues a new password and validity.
        user = backend.admin_get_user(pool_id, username)
        if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
            raise UnsupportedUserStateError(
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD."
            )
        user.password = password
    else:
        if pool._get_user(username) is not None:
            raise UsernameExistsException(_exists_message(pool, admin=True))
        attributes.check_new_user(pool, user_attributes, username, require=False)
        user = backend.admin_create_user(pool_id, username, "SUPPRESS", password, user_attributes)
        user.create_date = rules.clock.now()
    user.last_modified_date = rules.clock.now()
    with rules.lock:
        rules.temporary_passwords[user.username] = rules.clock.now()
    if action != "SUPPRESS":
        _send(rules, pool, user, "INVITATION", _tenant(self), temporary_password=password)
    return ActionResult({"User": user.to_json(extended=True)})


def admin_delete_user(self: CognitoIdpResponse) -> ActionResult:
    """Deleting a user also forgets its codes, lock, temporary password and sessions: a new user of the
    same name starts clean."""
    pool = self.backend.describe_user_pool(self._get_param("UserPoolId"))
    user = self.backend.admin_get_user(pool.id, self._get_param("Username"))
    self.backend.admin_delete_user(pool.id, user.username)
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        rules.codes.pop(user.username, None)
        rules.temporary_passwords.pop(user.username, None)
        for session in [s for s, issued in rules.sessions.items() if issued.username == user.username]:
            del rules.sessions[session]
    return EmptyResult()


def admin_update_user_attributes(self: CognitoIdpResponse) -> ActionResult:
    pool_id = self._get_param("UserPoolId")
    user_attributes = self._get_param("UserAttributes", [])
    pool = self.backend.describe_user_pool(pool_id)
    self.backend.admin_get_user(pool_id, self._get_param("Username"))
    attributes.check_update(pool, user_attributes)
    self.backend.admin_update_user_attributes(pool_id, self._get_param("Username"), user_attributes)
    return EmptyResult()


def update_user_attributes(self: CognitoIdpResponse) -> ActionResult:
    token = self._get_param("AccessToken")
    user_attributes = self._get_param("UserAttributes", [])
    backend = RegionAgnosticBackend(self.current_account, self.region)._find_backend_by_access_token(token)
    for pool in backend.user_pools.values():
        if token in pool.access_tokens:
            client_id, _ = pool.access_tokens[token]
            attributes.check_client_writes(pool, client_id, (a["Name"] for a in user_attributes))
            attributes.check_update(pool, user_attributes)
            break
    backend.update_user_attributes(token, user_attributes)
    return EmptyResult()


# ---------------------------------------------------------------- tokens and reading users


def _create_id_token(pool: CognitoIdpUserPool, client_id: str, username: str, origin_jti: str) -> tuple[str, int]:
    """Cognito's ID token carries the user's attributes the client may read; moto's only custom ones."""
    user = pool._get_user(username)
    claims: dict[str, Any] = {"cognito:username": user.username, "origin_jti": origin_jti}
    for name, value in attributes.readable(pool, client_id, user.attribute_lookup).items():
        if name != "sub":
            claims[name] = value == "true" if name in attributes.VERIFIED else value
    if user.groups:
        claims["cognito:groups"] = sorted(group.group_name for group in user.groups)
    token, expires_in = pool.create_jwt(client_id, username, "id", extra_data=claims)
    pool.id_tokens[token] = (client_id, username)
    return token, expires_in


def get_user(self: CognitoIdpResponse) -> ActionResult:
    token = self._get_param("AccessToken")
    backend = RegionAgnosticBackend(self.current_account, self.region)._find_backend_by_access_token(token)
    user = backend.get_user(token)
    pool = backend.describe_user_pool(user.user_pool_id)
    client_id, _ = pool.access_tokens[token]
    body = user.to_json(extended=True, attributes_key="UserAttributes")
    shown = attributes.readable(pool, client_id, user.attribute_lookup)
    body["UserAttributes"] = [{"Name": k, "Value": v} for k, v in shown.items()]
    return ActionResult(body)


# ---------------------------------------------------------------- sign-in and the new-password challenge


def _check_temporary_password(pool: CognitoIdpUserPool, username: str, password: str | None) -> None:
    user = pool._get_user(username)
    if user is None or user.status != UserStatus.FORCE_CHANGE_PASSWORD or user.password != password:
        return
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        issued = rules.temporary_passwords.get(user.username)
    if issued is None:
        return
    days = int(_password_policy(pool).get("TemporaryPasswordValidityDays", DEFAULT_TEMPORARY_PASSWORD_DAYS))
    if rules.clock.now() - issued > timedelta(days=days):
        raise NotAuthorizedError("Temporary password has expired and must be reset by an administrator.")


def _with_challenge_details(pool: CognitoIdpUserPool, username: str, result: dict[str, Any]) -> dict[str, Any]:
    """Cognito's NEW_PASSWORD_REQUIRED parameters, and the session bound to its user."""
    if result.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        return result
    user = pool._get_user(username)
    if user is None:
        return result
    rules = REGISTRY.rules(pool.id)
    current = {k: v for k, v in user.attribute_lookup.items() if k != "sub"}
    with rules.lock:
        rules.sessions[result["Session"]] = IssuedSession(user.username, rules.clock.now())
    result["ChallengeParameters"] = {
        **result.get("ChallengeParameters", {}),
        "USERNAME": user.username,
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": json.dumps([f"userAttributes.{n}" for n in attributes.missing_required(pool, current)]),
        "userAttributes": json.dumps(current),
    }
    return result


class PasswordResetRequiredError(JsonRESTError):
    def __init__(self) -> None:
        super().__init__("PasswordResetRequiredException", "Password reset required for the user")


def _check_reset_required(pool: CognitoIdpUserPool, username: str) -> None:
    """After AdminResetUserPassword the user must reset the password before signing in again."""
    user = pool._get_user(username)
    if user is not None and user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredError()


def _known_user_or_generic_refusal(pool: CognitoIdpUserPool, client_id: str | None, username: str) -> None:
    if pool._get_user(username) is None and client_id in pool.clients and _prevents_existence_errors(pool, client_id):
        raise NotAuthorizedError("Incorrect username or password.")


def initiate_auth(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    flow = self._get_param("AuthFlow")
    params = self._get_param("AuthParameters") or {}
    backend, pool = _pool_for_client(self, client_id)
    username = params.get("USERNAME", "")
    if flow == "USER_PASSWORD_AUTH":
        _check_secret_hash(pool, client_id, username, params.get("SECRET_HASH"))
        _known_user_or_generic_refusal(pool, client_id, username)
        _check_reset_required(pool, username)
        _check_temporary_password(pool, username, params.get("PASSWORD"))
    result = backend.initiate_auth(client_id, flow, params)
    return ActionResult(_with_challenge_details(pool, username, result))


def admin_initiate_auth(self: CognitoIdpResponse) -> ActionResult:
    pool_id = self._get_param("UserPoolId")
    client_id = self._get_param("ClientId")
    flow = self._get_param("AuthFlow")
    params = self._get_param("AuthParameters") or {}
    backend = self.backend
    pool = backend.describe_user_pool(pool_id)
    username = params.get("USERNAME", "")
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        _known_user_or_generic_refusal(pool, client_id, username)
        _check_reset_required(pool, username)
        _check_temporary_password(pool, username, params.get("PASSWORD"))
    result = backend.admin_initiate_auth(pool_id, client_id, flow, params)
    return ActionResult(_with_challenge_details(pool, username, result))


def _new_password_answer(self: CognitoIdpResponse) -> None:
    """Check and apply a NEW_PASSWORD_REQUIRED answer before moto completes it."""
    session = self._get_param("Session")
    client_id = self._get_param("ClientId")
    answers: dict[str, str] = self._get_param("ChallengeResponses") or {}
    backend, pool = _pool_for_client(self, client_id)
    if self._get_param("UserPoolId") is None:  # the admin variant is authorised by IAM, not by the hash
        _check_secret_hash(pool, client_id, answers.get("USERNAME", ""), answers.get("SECRET_HASH"))
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        issued = rules.sessions.get(session)
    if issued is None or session not in backend.sessions:
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    validity = int(pool.clients[client_id].extended_config.get("AuthSessionValidity", DEFAULT_AUTH_SESSION_MINUTES))
    if rules.clock.now() - issued.issued_at > timedelta(minutes=validity):
        with rules.lock:
            rules.sessions.pop(session, None)
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    user = pool._get_user(answers.get("USERNAME", ""))
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
    passwords.check(_password_policy(pool), answers.get("NEW_PASSWORD") or "")
    if new_values:
        user.update_attributes([{"Name": k, "Value": v} for k, v in new_values.items()])
    with rules.lock:
        rules.sessions.pop(session, None)
        rules.temporary_passwords.pop(user.username, None)


def _answering(original: Handler) -> Handler:
    def respond(self: CognitoIdpResponse) -> ActionResult:
        if self._get_param("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            _new_password_answer(self)
        return original(self)

    return respond


def _password_checked_first(original: Handler) -> Handler:
    """ConfirmForgotPassword: moto sets any password; Cognito applies the pool's policy."""

    def confirm(self: CognitoIdpResponse) -> ActionResult:
        _, pool = _pool_for_client(self, self._get_param("ClientId"))
        passwords.check(_password_policy(pool), self._get_param("Password") or "")
        return original(self)

    return confirm


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Put the faithful handlers in place of moto's; idempotent, process-wide."""
    global _installed  # noqa: PLW0603 - a process-wide, once-only patch
    with _install_lock:
        if _installed:
            return
        responses: Any = CognitoIdpResponse
        responses.create_user_pool = create_user_pool
        responses.update_user_pool = update_user_pool
        responses.sign_up = sign_up
        responses.confirm_sign_up = confirm_sign_up
        responses.resend_confirmation_code = resend_confirmation_code
        responses.admin_confirm_sign_up = admin_confirm_sign_up
        responses.admin_create_user = admin_create_user
        responses.admin_update_user_attributes = admin_update_user_attributes
        responses.admin_delete_user = admin_delete_user
        responses.update_user_attributes = update_user_attributes
        responses.initiate_auth = initiate_auth
        responses.admin_initiate_auth = admin_initiate_auth
        responses.respond_to_auth_challenge = _answering(responses.respond_to_auth_challenge)
        responses.admin_respond_to_auth_challenge = _answering(responses.admin_respond_to_auth_challenge)
        responses.confirm_forgot_password = _password_checked_first(responses.confirm_forgot_password)
        responses.get_user = get_user
        models: Any = CognitoIdpUserPool
        models._get_user = _get_user
        models.create_id_token = _create_id_token
        backend: Any = CognitoIdpBackend
        backend._validate_password = _validate_password
        _installed = True
