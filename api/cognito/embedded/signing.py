"""The key the embedded Cognito signs its tokens with, and those tokens' issuer.

moto signs every token with a key pair it ships (kid "dummy"), private half included, public on GitHub:
anyone could forge the embedded Cognito's tokens with it. So one RSA-2048 key pair per process, made on
first use with a random kid, signs every token of every embedded pool instead, and each pool's key set
is its public half. One per process, not per pool: tests create thousands of pools, and a key pair takes
milliseconds to make. It lives in memory only, like the pools: a restart ends every token with them.

Each token keeps moto's claims but names its pool's issuer (`state.PoolRules.issuer`): `<base>/<pool id>`,
the base being where the pool's key set is served (api.cognito.embedded.discovery). A pool without one
(created in-process by a test, with no address to serve it at) keeps moto's AWS-form issuer.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from api.cognito.embedded.state import REGISTRY

ALGORITHM = "RS256"

_lock = threading.Lock()
_key: RSAKey | None = None


def _signing_key() -> RSAKey:
    global _key  # noqa: PLW0603 - one key pair per process, made once
    with _lock:
        if _key is None:
            # Cognito's kids are 32 random bytes in base64: so are these, never a name one could guess.
            kid = base64.b64encode(secrets.token_bytes(32)).decode()
            _key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True)
        return _key


def key_set() -> dict[str, Any]:
    """The JSON Web Key Set of every embedded pool: the public half only."""
    return {"keys": [_signing_key().as_dict(private=False)]}


def sign(claims: Mapping[str, Any]) -> str:
    """A token of these claims, signed with the process's key."""
    key = _signing_key()
    return jwt.encode({"kid": key.kid, "alg": ALGORITHM}, dict(claims), key)


def resign(pool_id: str, token: str) -> str:
    """moto's token, with its claims unchanged but `iss`, signed with the process's key."""
    part = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if (issuer := REGISTRY.rules(pool_id).issuer) is not None:
        claims["iss"] = issuer
    return sign(claims)
