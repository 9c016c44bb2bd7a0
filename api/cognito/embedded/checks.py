"""Rules several calls share: the app client's SECRET_HASH and existence-error setting, the pool's
password policy, the wording of "that user exists", and the refusal of a user whose password was reset."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from api.cognito.adapter import secret_hash
from api.cognito.embedded import passwords
from api.cognito.embedded.moto_internals import JsonRESTError, NotAuthorizedError, Pool


def check_secret_hash(pool: Pool, client_id: str, username: str, given: str | None) -> None:
    """Cognito requires SECRET_HASH on every public call of a client that has a secret."""
    client = pool.clients[client_id]
    if not client.generate_secret:
        return
    if not given:
        raise NotAuthorizedError(f"Client {client_id} is configured for secret but secret was not received")
    # Cognito hashes the UTF-8 bytes; moto's own check encodes latin-1 and breaks on other usernames.
    if not hmac.compare_digest(secret_hash(client.secret, username, client.id), given):
        raise NotAuthorizedError(f"Unable to verify secret hash for client {client_id}")


def prevents_existence_errors(pool: Pool, client_id: str) -> bool:
    return bool(pool.clients[client_id].extended_config.get("PreventUserExistenceErrors") == "ENABLED")


def password_policy(pool: Pool) -> Mapping[str, Any]:
    policy: Mapping[str, Any] = pool.extended_config.get("Policies", {}).get("PasswordPolicy", {})
    return policy


def check_password(pool: Pool, password: str) -> None:
    """The pool's password policy, with Cognito's wording (InvalidPasswordException)."""
    passwords.check(password_policy(pool), password)


def exists_message(pool: Pool, admin: bool) -> str:
    if "email" in pool.extended_config.get("UsernameAttributes", []):
        return "An account with the given email already exists."
    return "User account already exists" if admin else "User already exists"


class PasswordResetRequiredError(JsonRESTError):
    """After AdminResetUserPassword, until ConfirmForgotPassword: signing in and the user's token calls."""

    def __init__(self) -> None:
        super().__init__("PasswordResetRequiredException", "Password reset required for the user")
