"""ASGI middleware every HTTP request passes before GraphQL sees it.

RequestLimits: a body cap, checked before anything is parsed (a 64 KiB document is already far larger
than any registration request), and JSON only for POST /graphql: a cross-site "simple" request
(text/plain or form-encoded, which browsers send without a CORS preflight) never reaches a resolver.

BrowserOrigins: CORS. A browser page may call the API from the API's own origin (GraphiQL) or from an
origin some tenant lists in `cors.allowed_origins`. A preflight from any other origin is refused (403),
and its other requests are answered without Access-Control-Allow-Origin, so the browser keeps the
answer from the page.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 64 * 1024


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"data": None, "errors": [{"message": message}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if scope["path"].rstrip("/") == "/graphql" and media_type != "application/json":
            await _refuse(send, 415, "POST /graphql takes Content-Type: application/json only.")
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(send, 413, f"The request body is larger than {self.max_body_bytes} bytes.")
            return
        # Read the body here, bounded, so a chunked upload cannot get past the cap either.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _refuse(send, 413, f"The request body is larger than {self.max_body_bytes} bytes.")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class BrowserOrigins:
    """CORS: pages of an origin some tenant lists (`cors.allowed_origins`) may call the API; nothing else.

    A preflight carries no body, so it cannot say which tenant a request is for: it is answered for
    the union of the tenants' origins, and the use cases then refuse an origin the request's own tenant
    does not list (`api.registration.tenancy.Tenancy.policy`, which every use case passes).
    """

    def __init__(self, app: ASGIApp, *, allowed: Callable[[str], bool]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        origin = headers.get("origin")
        if origin is None or origin == same_origin(scope, headers):
            await self.app(scope, receive, send)
            return
        allowed = self.allowed(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if not allowed:
                await send({"type": "http.response.start", "status": 403, "headers": [(b"vary", b"Origin")]})
                await send({"type": "http.response.body", "body": b""})
                return
            cors = [
                *_allow(origin),
                (b"access-control-allow-methods", b"POST"),
                (b"access-control-allow-headers", b"authorization, content-type"),
                (b"access-control-max-age", b"600"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *(_allow(origin) if allowed else [(b"vary", b"Origin")]),
                ]
            await send(message)

        await self.app(scope, receive, with_cors)


def _allow(origin: str) -> list[tuple[bytes, bytes]]:
    return [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]


def same_origin(scope: Scope, headers: MutableMapping[str, str]) -> str:
    """The API's own origin, as the browser sees it (GraphiQL's requests come from there)."""
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
