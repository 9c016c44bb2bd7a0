"""The messages Cognito would have sent, kept so that people and tests can read them.

Only the embedded Cognito writes here. The console copy goes to stderr directly, not through logging:
it is the developer's mailbox, and keeping it off the log stream keeps secrets out of shipped logs. It is
a JSON object when the logs are (REGAPI_LOG_FORMAT=json), marked `"outbox": true` and saying what it is.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TextIO

from api.observability.logging import console_line

# INVITATION carries a temporary password, the others a code: confirming a sign-up, resetting a password
# (ForgotPassword, AdminResetUserPassword), verifying a new or changed e-mail address or phone number.
MessageKind = Literal["INVITATION", "SIGN_UP_CODE", "PASSWORD_RESET_CODE", "VERIFICATION_CODE"]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    pool_id: str
    tenant: str | None
    username: str
    kind: MessageKind
    destination: str
    sent_at: datetime
    code: str | None = field(default=None, repr=False)
    temporary_password: str | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "tenant": self.tenant,
            "username": self.username,
            "kind": self.kind,
            "destination": self.destination,
            "sentAt": self.sent_at.isoformat(),
        }
        if self.code is not None:
            body["code"] = self.code
        if self.temporary_password is not None:
            body["temporaryPassword"] = self.temporary_password
        return body


class Outbox:
    """The last `limit` messages, oldest first, and the same by username, so that reading one user's
    messages does not scan everyone's. Safe to deliver to and read from any thread."""

    def __init__(self, *, console: TextIO | None = sys.stderr, limit: int = 10_000) -> None:
        self._messages: deque[OutboxMessage] = deque(maxlen=max(limit, 1))
        self._by_username: dict[str, deque[OutboxMessage]] = {}
        self._lock = threading.Lock()
        self._console = console

    def deliver(self, message: OutboxMessage) -> None:
        with self._lock:
            if len(self._messages) == self._messages.maxlen:  # the oldest makes room, here and in its user's
                oldest = self._messages[0].username
                self._by_username[oldest].popleft()
                if not self._by_username[oldest]:
                    del self._by_username[oldest]
            self._messages.append(message)
            self._by_username.setdefault(message.username, deque()).append(message)
        if self._console is not None:
            # What it is, said in the line itself: the one place codes are shown on purpose, development only.
            secret = {"code": message.code} if message.code is not None else {}
            if message.temporary_password is not None:
                secret["temporary_password"] = message.temporary_password
            fields = {
                "outbox": True,
                "kind": message.kind,
                "tenant": message.tenant,
                "username": message.username,
                "destination": message.destination,
                **secret,
            }
            shown = (
                f"code {message.code}"
                if message.code is not None
                else f"temporary password {message.temporary_password}"
            )
            text = (
                f"[embedded outbox] {message.kind} for {message.username!r} (tenant {message.tenant}) "
                f"to {message.destination}: {shown}"
            )
            line = console_line(text, fields)
            self._console.write(line + "\n")  # one line, whatever the destination holds

    def messages(self, *, tenant: str | None = None, username: str | None = None) -> list[OutboxMessage]:
        with self._lock:
            candidates = self._messages if username is None else self._by_username.get(username, ())
            return [m for m in candidates if tenant is None or m.tenant == tenant]
