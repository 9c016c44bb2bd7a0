"""Tokens regapi holds back until a user has proven their address: an approved sign-up's first sign-in.

Cognito signs such a user in (an administrator created the account), so regapi must not pass the tokens
on until the code sent to the address comes back. It hands the client a session instead, holding the
tokens encrypted (AES-GCM, a key derived from REGAPI_SESSION_SECRET): a client can neither read them nor
change them, and the session opens only for its tenant and user, within its validity.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.registration.sessions import SessionSealer

PREFIX = "rv1."
VALIDITY = timedelta(minutes=30)  # well inside the access token's hour, which verifying the code needs


@dataclass(frozen=True, slots=True)
class Held:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    nonce: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class HeldTokens:
    def __init__(self, sealer: SessionSealer) -> None:
        self._aead = AESGCM(sealer.derived_key("held-tokens"))

    def hold(self, tenant: str, username: str, access_token: str, refresh_token: str, *, now: datetime) -> str:
        expires = int((now + VALIDITY).timestamp())
        body = {"a": access_token, "r": refresh_token, "n": secrets.token_urlsafe(12), "e": expires}
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, json.dumps(body).encode(), f"{tenant}\0{username}".encode())
        return PREFIX + _b64(nonce + sealed)

    def release(self, session: str, tenant: str, username: str, *, now: datetime) -> Held | None:
        """The tokens, if the session is intact, this tenant's and user's, and not expired."""
        if not session.startswith(PREFIX) or len(session) > 16384:
            return None
        try:
            text = session.removeprefix(PREFIX)
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            plain = self._aead.decrypt(raw[:12], raw[12:], f"{tenant}\0{username}".encode())
            body = json.loads(plain)
        except (ValueError, binascii.Error, InvalidTag):
            return None
        expires = body.get("e") if isinstance(body, dict) else None
        if not isinstance(expires, int) or now.timestamp() >= expires:
            return None
        return Held(str(body["a"]), str(body["r"]), str(body["n"]), datetime.fromtimestamp(expires, UTC))
