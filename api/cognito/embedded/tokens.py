"""Tokens as Cognito keeps them. Every token a sign-in issues is filed under its user (state.PoolRules),
so that signing out, disabling and deleting end exactly that user's tokens without a scan of the pool's;
moto's own sign-out scans every token of the pool and matches the name the user signed in with, not the
user. An ended token is remembered process-wide with the reason, so that each call refuses it with
Cognito's words (API Reference, GlobalSignOut: "Access Token has been revoked").

The calls that take an access token check it here (`signed_in`): ended, expired (by the pool's clock,
after the ExpiresIn it was issued with), its user gone, disabled or required to reset the password.
REFRESH_TOKEN_AUTH is answered here too (`refresh`): moto takes any client's refresh token, checks the
secret hash over the name given at sign-in in latin-1, and never expires one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from api.cognito.embedded.checks import PasswordResetRequiredError, check_secret_hash
from api.cognito.embedded.lookups import find_user
from api.cognito.embedded.moto_internals import (
    InvalidParameterException,
    NotAuthorizedError,
    Pool,
    Response,
    User,
    UserNotFoundError,
    UserStatus,
    access_token_owner,
    backend_for_access_token,
    end_tokens,
    mint_from_refresh,
    pools,
)
from api.cognito.embedded.state import REGISTRY, IssuedToken

REVOKED, DELETED = "revoked", "deleted"  # why a token ended
ACCESS, REFRESH = "access", "refresh"
REFRESH_FLOWS = ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
DEFAULT_REFRESH_DAYS = 30  # API Reference, CreateUserPoolClient RefreshTokenValidity (0 means the default)


def _refresh_validity(pool: Pool, client_id: str) -> timedelta:
    settings = pool.clients[client_id].extended_config
    value = int(settings.get("RefreshTokenValidity") or DEFAULT_REFRESH_DAYS)
    unit = (settings.get("TokenValidityUnits") or {}).get("RefreshToken") or "days"
    return timedelta(**{unit: value})


def file_result(pool: Pool, client_id: str, username: str, result: Mapping[str, Any]) -> None:
    """File the tokens of a sign-in's AuthenticationResult (if it has one) under the user who signed in."""
    auth = result.get("AuthenticationResult") or {}
    user = find_user(pool, username)
    if user is None or not auth.get("AccessToken"):
        return
    rules = REGISTRY.rules(pool.id)
    now = rules.clock.now()
    lasts = timedelta(seconds=int(auth.get("ExpiresIn", 3600)))
    rules.file_token(auth["AccessToken"], IssuedToken(user.username, client_id, ACCESS, now, lasts))
    if refresh_token := auth.get("RefreshToken"):
        validity = _refresh_validity(pool, client_id)
        rules.file_token(refresh_token, IssuedToken(user.username, client_id, REFRESH, now, validity))


def end(pool: Pool, user: User, why: str, kinds: Collection[str] = (ACCESS, REFRESH)) -> None:
    """End the user's tokens of these kinds, here and in moto."""
    taken = REGISTRY.rules(pool.id).take_tokens(user.username, kinds)
    end_tokens(
        pool,
        access=[token for token, issued in taken.items() if issued.kind == ACCESS],
        refresh=[token for token, issued in taken.items() if issued.kind == REFRESH],
    )
    REGISTRY.end(taken, why)


def signed_in(response: Response, token: str) -> tuple[Pool, User, str]:
    """The pool, user and app client of an access token Cognito still accepts; else Cognito's refusal."""
    why = REGISTRY.ended(token)
    if why == DELETED:
        raise UserNotFoundError("User does not exist.")
    if why is not None:
        raise NotAuthorizedError("Access Token has been revoked")
    for pool in pools(backend_for_access_token(response, token)):
        if (owner := access_token_owner(pool, token)) is not None:
            break
    else:
        raise NotAuthorizedError("Invalid Access Token")
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        issued = rules.tokens.get(token)
    user = find_user(pool, issued.username if issued is not None else owner[1])
    if user is None:
        raise UserNotFoundError("User does not exist.")
    if issued is not None and rules.clock.now() - issued.issued_at >= issued.valid_for:
        raise NotAuthorizedError("Access Token has expired")
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    if user.status == UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredError()
    return pool, user, owner[0]


def refresh(pool: Pool, client_id: str, params: Mapping[str, str]) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH: new ID and access tokens (and no new refresh token) for a refresh token this
    app client was issued, not ended or expired, of an enabled user, with SECRET_HASH computed over the
    user's username for a client with a secret (which, in a pool with username attributes, is its sub)."""
    token = params.get("REFRESH_TOKEN")
    if not token:
        raise InvalidParameterException("Missing required parameter REFRESH_TOKEN")
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        issued = rules.tokens.get(token)
    if REGISTRY.ended(token) is not None:
        raise NotAuthorizedError("Refresh Token has been revoked")
    # Another client's token is refused as no token at all (re:Post, "Invalid Refresh Token" error).
    if issued is None or issued.kind != REFRESH or issued.client_id != client_id:
        raise NotAuthorizedError("Invalid Refresh Token")
    user = find_user(pool, issued.username)
    if user is None:  # not reached: deleting a user ends its tokens
        raise NotAuthorizedError("Refresh Token has been revoked")
    check_secret_hash(pool, client_id, user.username, params.get("SECRET_HASH"))
    now = rules.clock.now()
    if now - issued.issued_at >= issued.valid_for:
        raise NotAuthorizedError("Refresh Token has expired")
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    access_token, id_token, expires_in = mint_from_refresh(pool, token)
    rules.file_token(access_token, IssuedToken(user.username, client_id, ACCESS, now, timedelta(seconds=expires_in)))
    return {
        "ChallengeParameters": {},
        "AuthenticationResult": {
            "AccessToken": access_token,
            "IdToken": id_token,
            "ExpiresIn": expires_in,
            "TokenType": "Bearer",
        },
    }
