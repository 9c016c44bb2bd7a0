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


class AccessTokens:
    def __init__(self, keys: KeySource) -> None:
        self._keys = keys

    async def admin(self, pool: PoolBinding, token: str, groups: list[str]) -> str | None:
        """The username of a valid access token whose user is in one of `groups`, else None."""
        claims = await self._claims(pool, token)
        if claims is None:
            return None
        checks = (
            claims.get("iss") == self._keys.issuer(pool),
            claims.get("token_use") == "access",
            claims.get("client_id") == pool.client_id,
            isinstance(claims.get("exp"), int | float) and claims["exp"] > time.time(),
            bool(set(claims.get("cognito:groups") or []) & set(groups)),
        )
        username = claims.get("username")
        return username if all(checks) and isinstance(username, str) else None

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
