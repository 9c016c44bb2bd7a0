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

Several worker processes (`run_workers`, REGAPI_WORKERS) serve one socket under uvicorn's own supervisor,
which restarts a worker that dies and stops them all on SIGTERM or SIGINT; api.workers says what they
need, api.startup checks it before the first is spawned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any, cast

import httptools
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

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


class _Config(uvicorn.Config):
    """uvicorn's Config, carrying the header time limit to the protocol. Worker processes are spawned, so
    the Config is pickled on its way to them; a class made per limit (http_protocol) cannot be, a
    module-level one reading the limit from here can."""

    def __init__(self, app: Any, *, header_timeout: float, workers: int = 1) -> None:
        super().__init__(
            app,
            log_level="info",
            log_config=None,  # uvicorn's own lines go to the root logger's handler, escaped like regapi's
            access_log=False,
            # The client's address is regapi's to find (REGAPI_TRUSTED_PROXIES); uvicorn's own reading would
            # believe any X-Forwarded-For sent from 127.0.0.1, trusted or not, and the limits with it.
            proxy_headers=False,
            http=_ConfiguredProtocol,
            workers=workers,
            factory=workers > 1,  # each worker builds its own app
        )
        self.header_timeout = header_timeout


class _ConfiguredProtocol(_Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = cast(_Config, self.config).header_timeout


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes (it restarts a worker that dies, and stops them all on
    SIGTERM or SIGINT), telling `on_exit` the process id of each worker gone, whatever ended it."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], on_exit: Callable[[int], None]) -> None:
        super().__init__(config, sockets)
        self._on_exit = on_exit

    def keep_subprocess_alive(self) -> None:
        with self._noting_exits():
            super().keep_subprocess_alive()

    def handle_signals(self) -> None:  # SIGHUP replaces every worker, SIGTTOU retires one
        with self._noting_exits():
            super().handle_signals()

    @contextlib.contextmanager
    def _noting_exits(self) -> Iterator[None]:
        before = {process.pid for process in self.processes}
        yield
        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                self._on_exit(pid)

    def failed_to_start(self) -> bool:
        """Whether a worker could not build its app (uvicorn then stops the others rather than respawn)."""
        return any(process.exitcode == STARTUP_FAILURE for process in self.processes)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the app is built: with port 0 the app learns the port the
    system chose (the embedded Cognito names it in its tokens' issuer)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family, reuse_port=False)


def _listening(sock: socket.socket, workers: int) -> None:
    host, port = sock.getsockname()[:2]
    several = f" with {workers} worker processes" if workers > 1 else ""
    log.info("regapi listening on http://%s:%d%s", f"[{host}]" if ":" in host else host, port, several)


def run(app: Any, sock: socket.socket, *, header_timeout: float) -> None:
    """Serve `app` on `sock` until interrupted, as `regapi serve` does."""
    _listening(sock, 1)
    uvicorn.Server(_Config(app, header_timeout=header_timeout)).run(sockets=[sock])


def run_workers(
    app_factory: Callable[[], Any],
    sock: socket.socket,
    *,
    header_timeout: float,
    workers: int,
    on_exit: Callable[[int], None],
) -> int:
    """Serve `sock` with `workers` processes until SIGTERM or SIGINT, each building its app with
    `app_factory` (module-level, as the spawned processes import it by name); `on_exit(pid)` for each
    worker gone. The exit status: 1 when a worker could not build its app, else 0."""
    supervisor = _Supervisor(_Config(app_factory, header_timeout=header_timeout, workers=workers), [sock], on_exit)
    _listening(sock, workers)
    supervisor.run()
    return 1 if supervisor.failed_to_start() else 0


def failed_start() -> SystemExit:
    """What a worker raises when its app cannot be built: uvicorn's supervisor then stops, where any other
    exit would have it respawn the worker, forever."""
    return SystemExit(STARTUP_FAILURE)
