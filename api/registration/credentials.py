"""Admin credentials: a tenant's API keys, compared in constant time against their sha256 digests."""

from __future__ import annotations

import hashlib
import hmac

from api.policy import Policy


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def api_key_name(policy: Policy, key: str) -> str | None:
    """The name of the matching key, or None. Every digest is compared, so timing does not tell which failed."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    found = None
    for entry in policy.admins.api_keys:
        if hmac.compare_digest(digest, entry.sha256):
            found = entry.name
    return found
