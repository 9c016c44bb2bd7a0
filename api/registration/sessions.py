"""Challenge sessions handed to clients, sealed to the tenant and user they were issued for.

Cognito binds its session to a user of the pool, but knows nothing of tenants, and an emulator may not
bind it at all. regapi wraps it with an HMAC over (tenant, username, session, and the attributes the user
already had), so a session only ever completes the sign-in it was issued for, in the tenant it was
issued by, and the first-login rules can be checked without another round trip to Cognito.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

PREFIX = "rs1."


@dataclass(frozen=True, slots=True)
class SealedSession:
    tenant: str
    username: str
    cognito_session: str = field(repr=False)
    existing_attributes: frozenset[str]
    pool_required: frozenset[str]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSealer:
    def __init__(self, key: bytes | None = None) -> None:
        # A per-process key works for one process; several workers need REGAPI_SESSION_SECRET.
        self._key = key or secrets.token_bytes(32)

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def fingerprint(self, text: str) -> bytes:
        """A keyed digest of `text`: stable for this server, unguessable for clients."""
        return self._mac(b"fingerprint:" + text.encode())

    def seal(
        self, tenant: str, username: str, cognito_session: str, existing: Iterable[str], pool_required: Iterable[str]
    ) -> str:
        payload = json.dumps(
            {"t": tenant, "u": username, "s": cognito_session, "a": sorted(existing), "r": sorted(pool_required)},
            separators=(",", ":"),
        ).encode()
        return f"{PREFIX}{_b64(payload)}.{_b64(self._mac(payload))}"

    def open(self, token: str, tenant: str, username: str) -> SealedSession | None:
        """The session, if it is intact and was issued for this tenant and user; otherwise None."""
        if not token.startswith(PREFIX) or token.count(".") != 2:
            return None
        body, _, mac = token.removeprefix(PREFIX).partition(".")
        try:
            payload = _unb64(body)
            valid = hmac.compare_digest(_unb64(mac), self._mac(payload))
            data = json.loads(payload) if valid else None
        except (ValueError, TypeError):
            return None
        if not isinstance(data, dict) or data.get("t") != tenant or data.get("u") != username:
            return None
        return SealedSession(
            tenant=tenant,
            username=username,
            cognito_session=str(data["s"]),
            existing_attributes=frozenset(data.get("a", [])),
            pool_required=frozenset(data.get("r", [])),
        )
