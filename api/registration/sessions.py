"""Challenge sessions handed to clients, sealed to the tenant and user they were issued for.

Cognito binds its session to a user of the pool, but knows nothing of tenants, and an emulator may not
bind it at all. regapi wraps it with an HMAC over (tenant, username, session, and the attributes the user
already had), so a session only ever completes the sign-in it was issued for, in the tenant it was
issued by, and the first-login rules can be checked without another round trip to Cognito. It also
seals when it was issued and how long it lives, and a nonce by which its single use is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from api.cognito.port import AUTH_SESSION_MINUTES

PREFIX = "rs1."
# As long as Cognito lets the challenge be answered (the app client's AuthSessionValidity).
VALIDITY = timedelta(minutes=AUTH_SESSION_MINUTES)


@dataclass(frozen=True, slots=True)
class SealedSession:
    tenant: str
    username: str
    cognito_session: str = field(repr=False)
    existing_attributes: frozenset[str]
    pool_required: frozenset[str]
    nonce: str  # names this session for its single use
    expires_at: datetime


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

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for another purpose (encryption, say), from the one secret."""
        return self._mac(b"key:" + purpose.encode())

    def fingerprint(self, text: str) -> bytes:
        """A keyed digest of `text`: stable for this server, unguessable for clients."""
        return self._mac(b"fingerprint:" + text.encode())

    def seal(
        self,
        tenant: str,
        username: str,
        cognito_session: str,
        existing: Iterable[str],
        pool_required: Iterable[str],
        *,
        issued_at: datetime,
    ) -> str:
        payload = json.dumps(
            {
                "t": tenant,
                "u": username,
                "s": cognito_session,
                "a": sorted(existing),
                "r": sorted(pool_required),
                "n": secrets.token_urlsafe(12),
                "i": int(issued_at.timestamp()),
                "v": int(VALIDITY.total_seconds()),
            },
            separators=(",", ":"),
        ).encode()
        return f"{PREFIX}{_b64(payload)}.{_b64(self._mac(payload))}"

    def open(self, token: str, tenant: str, username: str, *, now: datetime) -> SealedSession | None:
        """The session, if it is intact, was issued for this tenant and user, and has not expired."""
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
        issued, validity = data.get("i"), data.get("v")
        if not isinstance(issued, int) or not isinstance(validity, int):
            return None  # sealed before sessions carried their lifetime: expired by now anyway
        expires_at = datetime.fromtimestamp(issued + validity, UTC)
        if now >= expires_at:
            return None
        return SealedSession(
            tenant=tenant,
            username=username,
            cognito_session=str(data["s"]),
            existing_attributes=frozenset(data.get("a", [])),
            pool_required=frozenset(data.get("r", [])),
            nonce=str(data.get("n", "")),
            expires_at=expires_at,
        )
