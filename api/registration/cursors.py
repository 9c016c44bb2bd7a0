"""Cursors of the admin listings: where the next page begins, sealed to the tenant and the query, so a
client can neither forge one nor carry it to another tenant or another status filter."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from dataclasses import dataclass

from api.registration.sessions import SessionSealer


@dataclass(frozen=True, slots=True)
class Position:
    token: str | None  # the provider's page (None: the first)
    skip: int  # rows of that page already answered


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Cursors:
    def __init__(self, sealer: SessionSealer) -> None:
        self._sealer = sealer

    def _mac(self, scope: str, payload: str) -> str:
        return _b64(self._sealer.fingerprint(f"cursor\0{scope}\0{payload}")[:16])

    def seal(self, scope: str, position: Position) -> str:
        payload = _b64(json.dumps({"t": position.token, "k": position.skip}, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(scope, payload)}"

    def open(self, scope: str, cursor: str) -> Position | None:
        """The position a cursor of this scope names, or None for anything else."""
        payload, _, mac = cursor.partition(".")
        # Bytes: compare_digest raises on a str that is not ASCII, and the cursor is the client's text.
        expected = self._mac(scope, payload).encode()
        if len(cursor) > 4096 or not hmac.compare_digest(mac.encode(), expected):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error):
            return None
        token, skip = data.get("t"), data.get("k")
        if not (token is None or isinstance(token, str)) or not isinstance(skip, int) or skip < 0:
            return None
        return Position(token, skip)
