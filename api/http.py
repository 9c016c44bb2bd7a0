"""ASGI middleware every HTTP request passes before GraphQL sees it.

AllowedHosts: a request whose Host header names no host of the API (REGAPI_ALLOWED_HOSTS) gets 400, so a
page on a DNS name rebound to the API's address is never taken for the API's own page (GraphiQL). The
health routes answer any Host: probes and load balancers address a process by its IP.

RequestLimits: a body cap, checked before anything is parsed (a 64 KiB document is already far larger
than any registration request); a time limit for the body to arrive (a client sending a byte a second
gets 408 instead of holding a connection open); JSON only for POST /graphql, so a cross-site "simple"
request (text/plain or form-encoded, which browsers send without a CORS preflight) never reaches a
resolver; and a body that is one GraphQL request: UTF-8 JSON, an object with a string `query`, nested
at most 64 deep, no number Python refuses to read, no unpaired surrogate. Whatever a client sends, the
answer is a 4xx, never a 500.

BrowserOrigins: CORS. A browser page may call the API from the API's own origin (GraphiQL) or from an
origin some tenant allows (`cors.allowed_origins`, and in development any loopback origin: the rule is
api.registration.tenancy.OriginRule, handed in as `allowed`). A preflight from any other origin is
refused (403) and logged at INFO, and its other requests are answered without
Access-Control-Allow-Origin, so the browser keeps the answer from the page.

Every refusal is GraphQL-shaped, `{"errors": [{"message": ..., "extensions": {"code": ...}}]}`, closes
the connection, and is logged at INFO without any of the request's content.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.middleware.trustedhost import TrustedHostMiddleware

from api.observability.logging import FIELDS
from api.settings import DEFAULT_BODY_TIMEOUT

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 64
HEALTH_ROUTES = ("/healthz", "/readyz")
# Scope keys: the Host header is one of the API's (AllowedHosts), and the client half-closed its side
# before the end of the body it announced (set by api.server's protocol).
HOST_ALLOWED = "regapi.host_allowed"
BODY_INCOMPLETE = "regapi.body_incomplete"
# The parsed body of a POST /graphql that passed RequestLimits (graphql_request), for the view.
GRAPHQL_REQUEST = "regapi.graphql_request"

log = logging.getLogger("regapi.http")

_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def refusal(message: str, code: str) -> bytes:
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()


async def _refuse(send: Send, status: int, message: str, code: str) -> None:
    """Answer 4xx, GraphQL-shaped, and close: what the client may still be sending is not read."""
    log.info("refused a request: %d %s: %s", status, code, message)
    body = refusal(message, code)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _no_constant(name: str) -> Any:
    raise ValueError(name)


Refusal = tuple[int, str, str]  # status, message, code
_TOO_DEEP = f"The request body is nested deeper than {MAX_JSON_DEPTH} levels."
_SURROGATE_FOUND = "The request body holds an unpaired surrogate (a \\ud800-\\udfff escape)."


def _parse(body: bytes) -> tuple[Any, str | None]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"The request body is not UTF-8 (byte {exc.start})."
    try:
        return json.loads(text, parse_constant=_no_constant), None
    except RecursionError:
        return None, _TOO_DEEP
    except json.JSONDecodeError as exc:
        return None, f"The request body is not JSON (line {exc.lineno}, column {exc.colno})."
    except ValueError:  # NaN, Infinity, or an integer longer than Python reads (4300 digits)
        return None, "The request body holds a number JSON does not allow (NaN, Infinity or over 4300 digits)."


def _walk(data: Any, strings: bool) -> str | None:
    """Nesting too deep anywhere in the parsed body; with `strings`, an unpaired surrogate in a key or a
    string too (only a \\u escape can make one: decoding UTF-8 refuses them)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items: Any = [*value, *value.values()] if strings else value.values()
        elif isinstance(value, list):
            items = value
        elif isinstance(value, str) and strings and _SURROGATE.search(value):
            return _SURROGATE_FOUND
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return _TOO_DEEP
        stack += [(item, depth + 1) for item in items if strings or isinstance(item, dict | list)]
    return None


def graphql_request(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A POST /graphql body as one GraphQL request (query, variables, operationName, extensions, their
    types checked), or why it is not one. Never quotes the body. A request may leave `query` out when it
    names a persisted document by hash (api.schema.documents)."""
    data, problem = _parse(body)
    problem = problem or _walk(data, strings=_ESCAPED_SURROGATE.search(body) is not None)
    if problem is not None:
        return None, problem
    if not isinstance(data, dict):
        return None, 'The request body must be one JSON object, {"query": "...", "variables": {...}} (no batches).'
    persisted = isinstance(data.get("extensions"), dict) and "persistedQuery" in data["extensions"]
    if not isinstance(data.get("query"), str) and not (persisted and data.get("query") is None):
        return None, 'The request body needs "query": a string holding the GraphQL document.'
    for key, kind, wanted in (
        ("variables", dict, "an object"),
        ("operationName", str, "a string"),
        ("extensions", dict, "an object"),
    ):
        if data.get(key) is not None and not isinstance(data[key], kind):
            return None, f'"{key}" must be {wanted} or null.'
    return data, None


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self._too_large: Refusal = (
            413,
            f"The request body is larger than {max_body_bytes} bytes.",
            "PAYLOAD_TOO_LARGE",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if scope["method"] != "POST":
            if headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers:
                # Only POST bodies are read (and timed); a body on any other request would keep the
                # connection open a byte at a time after the answer, so it is refused and closed.
                await _refuse(send, 400, "Only POST requests carry a body here.", "BAD_REQUEST")
                return
            await self.app(scope, receive, send)
            return
        graphql = scope["path"].rstrip("/") == "/graphql"
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        declared = headers.get("content-length", "")
        body: bytes | None = None
        if graphql and media_type != "application/json":
            refused: Refusal | None = (
                415,
                "POST /graphql takes Content-Type: application/json only.",
                "UNSUPPORTED_MEDIA_TYPE",
            )
        elif declared.isdigit() and int(declared) > self.max_body_bytes:
            refused = self._too_large
        else:
            body, refused = await self._read(receive)
        if refused is None and body is not None:
            if scope.get(BODY_INCOMPLETE) or (declared.isdigit() and len(body) != int(declared)):
                refused = (400, "The request body ended before its declared length.", "BAD_REQUEST")
            elif graphql:
                parsed, problem = graphql_request(body)
                if problem is not None:
                    refused = (400, problem, "BAD_REQUEST")
                scope[GRAPHQL_REQUEST] = parsed  # read once, here: the view takes it from the scope
        if refused is not None:
            await _refuse(send, *refused)
        elif body is not None:  # None: the client went away, nobody to answer
            await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes | None, Refusal | None]:
        """The whole body, read here, bounded in size and time, so a chunked upload cannot get past the cap
        and a client sending a byte now and then cannot hold the connection."""
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None, None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        return None, self._too_large
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks), None
        except TimeoutError:
            message_text = f"The request body did not arrive within {self.body_timeout:g} s."
            return None, (408, message_text, "REQUEST_TIMEOUT")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read, handed on once; then the server's own messages (a disconnect)."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class AllowedHosts:
    """400 for a Host header naming no host of the API; starlette's TrustedHostMiddleware decides.

    A request it lets through is marked (HOST_ALLOWED), and only a marked request can come from the API's
    own origin (`own_origin`).
    """

    def __init__(self, app: ASGIApp, *, hosts: Sequence[str]) -> None:
        self.app = app
        self._check = TrustedHostMiddleware(self._mark, allowed_hosts=list(hosts), www_redirect=False)

    @staticmethod
    async def _mark(scope: Scope, _receive: Receive, _send: Send) -> None:
        scope[HOST_ALLOWED] = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH_ROUTES:
            await self.app(scope, receive, send)
            return
        scope.pop(HOST_ALLOWED, None)
        await self._check(scope, receive, _discard)
        if scope.get(HOST_ALLOWED):
            await self.app(scope, receive, send)
            return
        await _refuse(send, 400, "The Host header names no host this API serves.", "BAD_REQUEST")


async def _discard(_: Message) -> None:
    pass


def own_origin(scope: Scope) -> str | None:
    """The API's own origin, as the browser sees it (GraphiQL's requests come from there), when the Host
    header is one of the API's; None otherwise."""
    if not scope.get(HOST_ALLOWED):
        return None
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"host"), None)
    return f"{scope.get('scheme', 'http')}://{host}" if host else None


class BrowserOrigins:
    """CORS: pages of an origin some tenant lists (`cors.allowed_origins`) may call the API; nothing else.

    A preflight carries no body, so it cannot say which tenant a request is for: it is answered for
    the union of the tenants' origins, and the use cases then refuse an origin the request's own tenant
    does not allow (`api.registration.tenancy.Tenancy.policy`, which every use case passes, by the same
    rule as `allowed`). A refused preflight is logged here, a refused request there: one line each.
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
        if origin is None or origin == own_origin(scope):
            await self.app(scope, receive, send)
            return
        allowed = self.allowed(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if not allowed:
                # The origin is the page's to choose: a field of its own, quoted in text, never in the message.
                log.info("refused a CORS preflight: no tenant lists its origin", extra={FIELDS: {"origin": origin}})
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
