"""Cognito's rules that moto leaves out, enforced behind the boto3 API.

moto stores user-pool state but accepts any confirmation code, generates no temporary password, never
expires anything and lets a challenge session answer for any user (../shared/research/moto-fidelity.md).
This module replaces moto's handlers for the calls regapi makes with ones that behave as Cognito's API
reference documents, so a boto3 client, and therefore the unchanged adapter, sees Cognito's answers.

The handlers are installed on moto's response class, once per process. The state moto lacks (codes,
when a temporary password was issued, which user a session belongs to) lives in a `PoolRules` per user
pool, with the clock and outbox of the embedded Cognito that owns the pool.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolAttribute,
    RegionAgnosticBackend,
    UserStatus,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.cognitoidp.utils import check_secret_hash
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult

from api.clock import Clock, SystemClock
from api.cognito.embedded.outbox import MessageKind, Outbox, OutboxMessage
from api.cognito.port import mask_destination

CODE_VALIDITY = timedelta(hours=24)  # Cognito: sign-up codes are valid for 24 hours
# Wrong codes a user may send before Cognito answers LimitExceededException for a while.
MAX_CODE_FAILURES = 5
CODE_LOCKOUT = timedelta(minutes=15)
DEFAULT_TEMPORARY_PASSWORD_DAYS = 7
DEFAULT_AUTH_SESSION_MINUTES = 3
SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-"


class UnsupportedUserStateError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("UnsupportedUserStateException", message)


class LimitExceededError(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


@dataclass(slots=True)
class IssuedCode:
    code: str = field(repr=False)
    issued_at: datetime
    failures: int = 0
    locked_until: datetime | None = None


@dataclass(slots=True)
class IssuedSession:
    username: str
    issued_at: datetime


class PoolRules:
    """What one pool must remember that moto does not."""

    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self.clock = clock
        self.outbox = outbox
        self.codes: dict[str, IssuedCode] = {}
        self.temporary_passwords: dict[str, datetime] = {}
        self.sessions: dict[str, IssuedSession] = {}
        self.lock = threading.Lock()


class Registry:
    """Pool id -> rules. Pools created outside an embedded Cognito get the system clock and a console outbox."""

    def __init__(self) -> None:
        self._rules: dict[str, PoolRules] = {}
        self._lock = threading.Lock()
        self._default = (SystemClock(), Outbox())

    def attach(self, pool_id: str, clock: Clock, outbox: Outbox) -> None:
        with self._lock:
            self._rules[pool_id] = PoolRules(clock, outbox)

    def rules(self, pool_id: str) -> PoolRules:
        with self._lock:
            if pool_id not in self._rules:
                self._rules[pool_id] = PoolRules(*self._default)
            return self._rules[pool_id]


REGISTRY = Registry()


# ---------------------------------------------------------------- helpers


def _pool_for_client(response: CognitoIdpResponse, client_id: str) -> tuple[CognitoIdpBackend, CognitoIdpUserPool]:
    backend = RegionAgnosticBackend(response.current_account, response.region)._find_backend_for_clientid(client_id)
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return backend, pool
    raise ResourceNotFoundError(client_id)


def _prevents_existence_errors(pool: CognitoIdpUserPool, client_id: str) -> bool:
    client = pool.clients[client_id]
    return bool(client.extended_config.get("PreventUserExistenceErrors") == "ENABLED")


def _check_secret_hash(pool: CognitoIdpUserPool, client_id: str, username: str, given: str | None) -> None:
    """Cognito requires SECRET_HASH on every public call of a client that has a secret."""
    client = pool.clients[client_id]
    if not client.generate_secret:
        return
    if not given:
        raise NotAuthorizedError(f"Client {client_id} is configured for secret but secret was not received")
    if not check_secret_hash(client.secret, client.id, username, given):
        raise NotAuthorizedError(f"Unable to verify secret hash for client {client_id}")


def _password_policy(pool: CognitoIdpUserPool) -> Mapping[str, Any]:
    policy: Mapping[str, Any] = pool.extended_config.get("Policies", {}).get("PasswordPolicy", {})
    return policy


def _delivery(user: CognitoIdpUser) -> dict[str, str] | None:
    if email := user.attribute_lookup.get("email"):
        return {"Destination": mask_destination(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    if phone := user.attribute_lookup.get("phone_number"):
        return {"Destination": mask_destination(phone), "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    return None


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
    destination = user.attribute_lookup.get("email") or user.attribute_lookup.get("phone_number") or ""
    rules.outbox.deliver(
        OutboxMessage(
            pool_id=pool.id,
            tenant=tenant,
            username=user.username,
            kind=kind,
            destination=destination,
            sent_at=rules.clock.now(),
            code=code,
            temporary_password=temporary_password,
        )
    )


def _tenant(response: CognitoIdpResponse) -> str | None:
    # regapi passes its tenant as ClientMetadata, as a CustomMessage trigger would receive it.
    metadata = response._get_param("ClientMetadata") or {}
    tenant = metadata.get("tenant")
    return tenant if isinstance(tenant, str) else None


def generate_temporary_password(policy: Mapping[str, Any]) -> str:
    """A password the pool's own policy accepts, with one character of every required class."""
    length = max(int(policy.get("MinimumLength", 8)), 12)
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS]
    chars = [secrets.choice(c) for c in classes]
    alphabet = "".join(classes)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _schema_names(pool: CognitoIdpUserPool) -> set[str]:
    return set(CognitoIdpUserPoolAttribute.STANDARD_SCHEMA) | set(pool.schema_attributes)


def _issue_code(
    rules: PoolRules, pool: CognitoIdpUserPool, user: CognitoIdpUser, tenant: str | None
) -> dict[str, str] | None:
    """Send a fresh code (replacing any earlier one) when the pool verifies the user's address."""
    delivery = _delivery(user)
    if delivery is None or delivery["AttributeName"] not in pool.extended_config.get("AutoVerifiedAttributes", []):
        return None
    code = _new_code()
    with rules.lock:
        previous = rules.codes.get(user.username)
        fresh = IssuedCode(code, rules.clock.now())
        if previous is not None and previous.locked_until is not None:
            # A resend must not lift a lock, or it would reset the guessing budget.
            fresh.failures, fresh.locked_until = previous.failures, previous.locked_until
        rules.codes[user.username] = fresh
    _send(rules, pool, user, "SIGN_UP_CODE", tenant, code=code)
    return delivery


# ---------------------------------------------------------------- handlers


def sign_up(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    backend, pool = _pool_for_client(self, client_id)
    if pool.extended_config.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorizedError("SignUp is not permitted for this user pool")
    _check_secret_hash(pool, client_id, self._get_param("Username"), self._get_param("SecretHash"))
    user, _ = backend.sign_up(
        client_id=client_id,
        username=self._get_param("Username"),
        password=self._get_param("Password"),
        attributes=self._get_param("UserAttributes", []),
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
    if user.status == UserStatus.CONFIRMED:
        raise NotAuthorizedError("User cannot be confirmed. Current status is CONFIRMED")
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
    _, pool = _pool_for_client(self, client_id)
    _check_secret_hash(pool, client_id, self._get_param("Username"), self._get_param("SecretHash"))
    user = pool._get_user(self._get_param("Username"))
    if user is None:
        if _prevents_existence_errors(pool, client_id):
            username = self._get_param("Username")
            return ActionResult(
                {
                    "CodeDeliveryDetails": {
                        "Destination": mask_destination(f"{username}@x"),
                        "DeliveryMedium": "EMAIL",
                        "AttributeName": "email",
                    }
                }
            )
        raise UserNotFoundError("Username/client id combination not found.")
    if user.status == UserStatus.CONFIRMED:
        raise InvalidParameterException("User is already confirmed.")
    delivery = _issue_code(REGISTRY.rules(pool.id), pool, user, _tenant(self))
    return ActionResult({"CodeDeliveryDetails": delivery} if delivery else {})


def admin_create_user(self: CognitoIdpResponse) -> ActionResult:
    pool_id = self._get_param("UserPoolId")
    username = self._get_param("Username")
    action = self._get_param("MessageAction")
    given = self._get_param("TemporaryPassword")
    backend = self.backend
    pool = backend.describe_user_pool(pool_id)
    rules = REGISTRY.rules(pool.id)
    if given is not None:
        backend._validate_password(pool_id, given)
    password = given or generate_temporary_password(_password_policy(pool))
    if action == "RESEND":
        # Cognito keeps the user (sub, attributes, groups) and only issues a new password and validity.
        user = backend.admin_get_user(pool_id, username)
        if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
            raise UnsupportedUserStateError(
                f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD."
            )
        user.password = password
    else:
        user = backend.admin_create_user(pool_id, username, "SUPPRESS", password, self._get_param("UserAttributes", []))
    now = rules.clock.now()
    if action != "RESEND":
        user.create_date = now
    user.last_modified_date = now
    with rules.lock:
        rules.temporary_passwords[user.username] = now
    if action != "SUPPRESS":
        _send(rules, pool, user, "INVITATION", _tenant(self), temporary_password=password)
    return ActionResult({"User": user.to_json(extended=True)})


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


def _with_challenge_details(pool: CognitoIdpUserPool, result: dict[str, Any]) -> dict[str, Any]:
    """Cognito's NEW_PASSWORD_REQUIRED parameters, and the session bound to its user."""
    if result.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        return result
    rules = REGISTRY.rules(pool.id)
    username = result.get("ChallengeParameters", {}).get("USERNAME")
    session = result["Session"]
    user = pool._get_user(username or "")
    if user is None:
        return result
    attributes = {k: v for k, v in user.attribute_lookup.items() if k != "sub"}
    missing = [
        f"userAttributes.{name}"
        for name, attribute in pool.schema_attributes.items()
        if attribute.required and name != "sub" and not attributes.get(name)
    ]
    with rules.lock:
        rules.sessions[session] = IssuedSession(user.username, rules.clock.now())
    result["ChallengeParameters"] = {
        **result.get("ChallengeParameters", {}),
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": json.dumps(missing),
        "userAttributes": json.dumps(attributes),
    }
    return result


def initiate_auth(self: CognitoIdpResponse) -> ActionResult:
    client_id = self._get_param("ClientId")
    flow = self._get_param("AuthFlow")
    params = self._get_param("AuthParameters") or {}
    backend, pool = _pool_for_client(self, client_id)
    if flow == "USER_PASSWORD_AUTH":
        _check_secret_hash(pool, client_id, params.get("USERNAME", ""), params.get("SECRET_HASH"))
        _check_temporary_password(pool, params.get("USERNAME", ""), params.get("PASSWORD"))
    try:
        result = backend.initiate_auth(client_id, flow, params)
    except UserNotFoundError:
        if _prevents_existence_errors(pool, client_id):
            raise NotAuthorizedError("Incorrect username or password.") from None
        raise
    return ActionResult(_with_challenge_details(pool, result))


def admin_initiate_auth(self: CognitoIdpResponse) -> ActionResult:
    pool_id = self._get_param("UserPoolId")
    client_id = self._get_param("ClientId")
    flow = self._get_param("AuthFlow")
    params = self._get_param("AuthParameters") or {}
    backend = self.backend
    pool = backend.describe_user_pool(pool_id)
    if flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        _check_temporary_password(pool, params.get("USERNAME", ""), params.get("PASSWORD"))
        if (
            pool._get_user(params.get("USERNAME", "")) is None
            and client_id in pool.clients
            and (_prevents_existence_errors(pool, client_id))
        ):
            raise NotAuthorizedError("Incorrect username or password.")
    result = backend.admin_initiate_auth(pool_id, client_id, flow, params)
    if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        result.setdefault("ChallengeParameters", {})["USERNAME"] = params.get("USERNAME")
    return ActionResult(_with_challenge_details(pool, result))


def _new_password_answer(self: CognitoIdpResponse) -> None:
    """Check and apply a NEW_PASSWORD_REQUIRED answer before moto completes it."""
    session = self._get_param("Session")
    client_id = self._get_param("ClientId")
    answers: dict[str, str] = self._get_param("ChallengeResponses") or {}
    backend, pool = _pool_for_client(self, client_id)
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
    new_attributes = {
        key.removeprefix("userAttributes."): value
        for key, value in answers.items()
        if key.startswith("userAttributes.")
    }
    known = _schema_names(pool)
    problems = []
    for name in new_attributes:
        attribute = pool.schema_attributes.get(name)
        if name not in known:
            problems.append(f"user.{name}: Attribute does not exist in the schema.")
        elif name in user.attribute_lookup:
            raise InvalidParameterException(f"Cannot modify an already provided {name}")
        elif attribute is not None and getattr(attribute, "mutable", True) is False:
            problems.append(f"user.{name}: Attribute cannot be updated. (changing an immutable attribute)")
    if problems:
        raise InvalidParameterException("Invalid user attributes: " + "\n".join(problems) + "\n")
    merged = {**user.attribute_lookup, **new_attributes}
    missing = [
        name
        for name, attribute in pool.schema_attributes.items()
        if attribute.required and name != "sub" and not merged.get(name)
    ]
    if missing:
        raise InvalidParameterException(
            "Invalid user attributes: " + "".join(f"{name}: The attribute is required\n" for name in missing)
        )
    backend._validate_password(pool.id, answers.get("NEW_PASSWORD") or "")
    if new_attributes:
        user.update_attributes([{"Name": k, "Value": v} for k, v in new_attributes.items()])
    with rules.lock:
        rules.sessions.pop(session, None)
        rules.temporary_passwords.pop(user.username, None)


def _responder(original: Callable[[CognitoIdpResponse], ActionResult]) -> Callable[[CognitoIdpResponse], ActionResult]:
    def respond(self: CognitoIdpResponse) -> ActionResult:
        if self._get_param("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            _new_password_answer(self)
        return original(self)

    return respond


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Put the faithful handlers in place of moto's; idempotent, process-wide."""
    global _installed  # noqa: PLW0603 - a process-wide, once-only patch
    with _install_lock:
        if _installed:
            return
        cls: Any = CognitoIdpResponse
        cls.sign_up = sign_up
        cls.confirm_sign_up = confirm_sign_up
        cls.resend_confirmation_code = resend_confirmation_code
        cls.admin_create_user = admin_create_user
        cls.initiate_auth = initiate_auth
        cls.admin_initiate_auth = admin_initiate_auth
        cls.respond_to_auth_challenge = _responder(cls.respond_to_auth_challenge)
        cls.admin_respond_to_auth_challenge = _responder(cls.admin_respond_to_auth_challenge)
        _installed = True
