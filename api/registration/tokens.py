"""Administrators authenticated by a Cognito access token of a user in one of the tenant's admin groups.

The token is checked as Cognito's documentation says a resource server must: the signature against the
pool's JSON Web Key Set (fetched again when the token names an unknown key), the issuer (this tenant's
pool), `token_use` (access), the expiry, and the app client it was issued to.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.cognito.port import KeySource, PoolBinding

log = logging.getLogger("regapi.registration")


def id_token_claims(token: str) -> dict[str, object]:
    """The payload of an ID token the identity provider just answered regapi's own call with (trusted as
    far as the connection to the provider is: no signature check)."""
    claims = _segment(token, 1)
    return dict(claims)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


@dataclass(frozen=True, slots=True)
class Verified:
    """What a bearer token proved: a user of the pool (`username`), or nothing; `expired` when it was this
    pool's access token but its time is over (the client should refresh and retry)."""

    username: str | None
    expired: bool = False
    groups: frozenset[str] = frozenset()


class AccessTokens:
    def __init__(self, keys: KeySource) -> None:
        self._keys = keys

    async def verify(self, pool: PoolBinding, token: str) -> Verified:
        """An access token checked as a resource server must: signature, issuer, `token_use`, client, expiry."""
        claims = await self._claims(pool, token)
        if claims is None:
            return Verified(None)
        username = claims.get("username")
        if not (
            claims.get("iss") == self._keys.issuer(pool)
            and claims.get("token_use") == "access"
            and claims.get("client_id") == pool.client_id
            and isinstance(claims.get("exp"), int | float)
            and isinstance(username, str)
        ):
            return Verified(None)
        if claims["exp"] <= time.time():  # the provider's tokens are dated by the wall clock
            return Verified(None, expired=True)
        groups = claims.get("cognito:groups")
        listed = groups if isinstance(groups, list) else []  # a string would be iterated letter by letter
        return Verified(username, groups=frozenset(g for g in listed if isinstance(g, str)))

    async def admin(self, pool: PoolBinding, token: str, groups: list[str]) -> str | None:
        """The username of a valid access token whose user is in one of `groups`, else None."""
        verified = await self.verify(pool, token)
        return verified.username if verified.groups & set(groups) else None

    async def _claims(self, pool: PoolBinding, token: str) -> Mapping[str, Any] | None:
        kid = _header(token).get("kid")
        jwks = await self._keys.jwks(pool)
        if kid not in {key.get("kid") for key in jwks.get("keys", [])}:
            # A key the cache does not hold: the pool may have rotated its keys. Fetched once per such
            # token, never more, so forged key ids cannot make regapi hammer the JWKS endpoint.
            jwks = await self._keys.jwks(pool, refresh=True)
        try:
            return jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims  # type: ignore[arg-type]
        except (JoseError, ValueError):
            return None


def _header(token: str) -> Mapping[str, Any]:
    return _segment(token, 0)


def _segment(token: str, index: int) -> Mapping[str, Any]:
    """One JSON segment of a JWT (0 the header, 1 the payload), or {} when it is not one."""
    try:
        segment = token.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        return {}
    return value if isinstance(value, dict) else {}
