"""How regapi is served: uvicorn, with its httptools protocol changed where hostile clients find it lacking.

uvicorn has no time limit on request headers (`timeout_keep_alive` only bounds the idle time between two
requests of a kept-alive connection) and, with httptools, no size limit on them: a client could hold a
connection open forever by sending a header byte now and then, or send 100 MB of headers. Here:

- a client has `header_timeout` seconds from connecting, or from the first byte of a later request on the
  same connection, to finish its headers: then it gets 408 and the connection closes (a connection that
  sent nothing is closed without an answer, as browsers open some in advance);
- headers over MAX_HEADER_BYTES get 431;
- bytes that are not HTTP/1.1 get a GraphQL-shaped 400 logged at INFO, not uvicorn's plain-text 400 and
  WARNING (a client's garbage is not the operator's problem);
- a client that half-closes its side before its request is answered still gets the answer; when its body
  was cut short, the middleware (api.http.RequestLimits) answers 400 instead of the connection closing
  without a word.

The request body's time limit is the middleware's (REGAPI_BODY_TIMEOUT), where it can answer in JSON.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from http import HTTPStatus
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.http import BODY_INCOMPLETE, refusal
from api.settings import DEFAULT_HEADER_TIMEOUT

MAX_HEADER_BYTES = 64 * 1024

log = logging.getLogger("regapi.http")


class _HeadersTooLarge(Exception):  # noqa: N818 - raised in a parser callback to stop the parser
    pass


class _Protocol(HttpToolsProtocol):
    header_timeout = DEFAULT_HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_headers = False  # from a request's first byte to its last header
        self._in_body = False
        self._header_bytes = 0  # the URL, header names and values of the request being read
        self._unparsed = 0  # bytes received since the last request's headers ended: httptools holds them

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if not self._in_body:
            self._unparsed += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadersTooLarge):
                self._headers_too_large()
            else:
                self._refuse(HTTPStatus.BAD_REQUEST, "The request is not valid HTTP/1.1.", "BAD_REQUEST")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        if self._in_headers and self._unparsed > MAX_HEADER_BYTES:  # one header still growing
            self._headers_too_large()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers, self._header_bytes = True, 0
        self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise _HeadersTooLarge

    def _headers_too_large(self) -> None:
        message = f"The request headers are larger than {MAX_HEADER_BYTES} bytes."
        self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, message, "REQUEST_HEADER_FIELDS_TOO_LARGE")

    def on_headers_complete(self) -> None:
        self._in_headers, self._in_body, self._unparsed = False, True, 0
        self._stop_header_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol allows True
        cycle = self.cycle
        if cycle is None or cycle.response_complete or self._in_headers or self.scheme == "https":
            return None  # nothing to answer (or TLS, which cannot half-close): uvicorn closes
        cycle.keep_alive = False  # answer, then close
        if cycle.more_body:
            cycle.scope[BODY_INCOMPLETE] = True  # type: ignore[literal-required]
            cycle.more_body = False
            cycle.message_event.set()
        return True

    def _start_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # a pipelined request is slow: close after the current answer
            return
        if not self._in_headers:
            log.info("closed a connection that sent nothing for %g seconds", self.header_timeout)
            self.transport.close()
            return
        message = f"The request headers did not arrive within {self.header_timeout:g} s."
        self._refuse(HTTPStatus.REQUEST_TIMEOUT, message, "REQUEST_TIMEOUT")

    def _refuse(self, status: HTTPStatus, message: str, code: str) -> None:
        """Answer a request that never reached the app, and close."""
        self._stop_header_timer()
        log.info("refused a request: %d %s: %s", status, code, message)
        body = refusal(message, code)
        head = [
            f"HTTP/1.1 {status.value} {status.phrase}",
            "content-type: application/json",
            f"content-length: {len(body)}",
            "connection: close",
        ]
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
        self.transport.close()


def http_protocol(header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's `http=` option: its httptools protocol with the header limits above."""
    return type("RegapiHttpProtocol", (_Protocol,), {"header_timeout": header_timeout})


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the app is built: with port 0 the app learns the port the
    system chose (the embedded Cognito names it in its tokens' issuer)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family, reuse_port=False)


def run(app: Any, sock: socket.socket, *, header_timeout: float) -> None:
    """Serve `app` on `sock` until interrupted, as `regapi serve` does."""
    config = uvicorn.Config(
        app,
        log_level="info",
        log_config=None,  # uvicorn's own lines go to the root logger's handler, escaped like regapi's
        access_log=False,
        http=http_protocol(header_timeout),
    )
    host, port = sock.getsockname()[:2]
    log.info("regapi listening on http://%s:%d", f"[{host}]" if ":" in host else host, port)
    uvicorn.Server(config).run(sockets=[sock])
