"""Each request's id: taken from `X-Request-ID` when it is well-formed (a proxy's or a client's correlation
id), made up otherwise; returned in the answer's `X-Request-ID` and carried by every log line written
while the request runs (`current`, which the log formatter reads), worker threads included: anyio copies
the context into the threads that run Cognito calls.

An id that is not well-formed is replaced, never repaired: it is the client's text, and a log line must
not carry a forged field or a mile of it.

The same middleware writes the access line when the answer is sent: method, path (never the query
string: a GET /graphql carries its variables there), status and duration. Health probes and scrapes
(`QUIET_PATHS`) are logged at DEBUG: a load balancer asks every few seconds.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.observability import scope as scope_of_request
from api.observability.logging import FIELDS

HEADER = b"x-request-id"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
access = logging.getLogger("regapi.access")
WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]


def current() -> str | None:
    """The id of the request being served here, or None outside any."""
    served = scope_of_request.current()
    return served.request_id if served is not None else None


def chosen(sent: bytes | None) -> str:
    """The id a request gets for the header it sent."""
    if sent is not None:
        text = sent.decode("latin-1")
        if WELL_FORMED.fullmatch(text):
            return text
    return secrets.token_hex(16)


class RequestIds:
    """ASGI middleware: the request's id set for everything below it, and sent back with the answer."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, asgi_scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if asgi_scope["type"] != "http":
            await self.app(asgi_scope, receive, send)
            return
        headers = asgi_scope.get("headers", [])
        request_id = chosen(next((value for name, value in headers if name == HEADER), None))

        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode("ascii"))]}
            await send(message)

        with scope_of_request.entered(scope_of_request.RequestScope(request_id)):
            try:
                await self.app(asgi_scope, receive, send_with_id)
            finally:
                _access_line(asgi_scope, status, time.perf_counter() - started)


def _access_line(asgi_scope: MutableMapping[str, Any], status: int, seconds: float) -> None:
    path = asgi_scope.get("path", "")
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if access.isEnabledFor(level):
        fields = {
            "method": asgi_scope.get("method", ""),
            "path": path,
            "status": status,  # 0: no answer was sent (the client went away)
            "duration_ms": round(seconds * 1000, 1),
        }
        access.log(level, "request", extra={FIELDS: fields})
