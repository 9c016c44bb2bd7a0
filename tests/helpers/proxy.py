"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a Cognito endpoint (`regapi cognito serve`).

The API is pointed at the proxy (REGAPI_COGNITO_ENDPOINT) and the proxy at the endpoint. It reads each
request off the connection and then, by the fault in force, as a failing network or service would:

- PASS: forwards it and relays the answer;
- HANG: never answers (and never forwards) until the fault is lifted or the client gives up;
- THROTTLE: answers Cognito's `ThrottlingException` (HTTP 400, JSON);
- INTERNAL: answers AWS's `InternalFailure` (HTTP 500, JSON);
- UNAVAILABLE: answers HTTP 503 with an HTML page, as a load balancer would (no Cognito error name);
- NOT_FOUND: answers HTTP 404 with an HTML page (an endpoint that does not serve that path);
- RESET: resets the connection without forwarding;
- LOSE: forwards it, so that Cognito acts, then never answers: the answer is lost and the client times out;
- DROP: forwards it, then resets the connection instead of answering;
- REFUSE: the port is closed (connections refused) and every open connection is reset.

A fault applies to the operations named (`X-Amz-Target`'s last part, such as `AdminCreateUser`, or the
last part of a GET's path, such as `jwks.json`), or to all, and to the first `times` requests, or to all.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import shutil
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from api.app import create_app
from api.policy import load_directory
from api.settings import Settings
from tests.helpers import TRUSTED
from tests.helpers.client import Api, StandaloneCognito
from tests.helpers.leaks import LogScan
from tests.helpers.server import LiveServer, provision_remote, variables_set

# How long a test client waits for the API: far beyond the API's Cognito budget in these tests, far below
# the four minutes botocore's defaults took.
CLIENT_TIMEOUT = 20.0


class Fault(StrEnum):
    PASS = "pass"
    HANG = "hang"
    THROTTLE = "throttle"
    INTERNAL = "internal"
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"
    RESET = "reset"
    LOSE = "lose"
    DROP = "drop"
    REFUSE = "refuse"


# What the answering faults send: status, content type, body.
ANSWERS = {
    Fault.THROTTLE: (400, "application/x-amz-json-1.1", {"__type": "ThrottlingException", "message": "Rate exceeded"}),
    Fault.INTERNAL: (500, "application/x-amz-json-1.1", {"__type": "InternalFailure", "message": "Internal failure"}),
    Fault.UNAVAILABLE: (503, "text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"),
    Fault.NOT_FOUND: (404, "text/html", "<html><body><h1>404 Not Found</h1></body></html>"),
}
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"})


@dataclass
class _Rule:
    fault: Fault
    only: frozenset[str] | None
    times: int | None


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._rule = _Rule(Fault.PASS, None, None)
        self._lifted = threading.Event()
        self._open: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.seen: Counter[str] = Counter()  # every request, by operation
        self.forwarded: Counter[str] = Counter()  # those that reached the endpoint
        self.held = 0  # requests held unanswered right now (HANG, LOSE)
        self.most_held = 0  # the most held at once
        self.any_held = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._listen()
        return self

    def __exit__(self, *_: object) -> None:
        self.set(Fault.PASS)
        self._close()

    # ------------------------------------------------------------------------------------- control

    def set(self, fault: Fault, only: Collection[str] | None = None, times: int | None = None) -> None:
        """Put `fault` in force for the operations `only` (all when None), for `times` requests (all when None)."""
        with self._lock:
            held = self._rule.fault
            self._lifted.set()  # whatever was held is let go
            self._lifted = threading.Event()
            self._rule = _Rule(fault, frozenset(only) if only is not None else None, times)
            self.most_held = self.held
        if fault is Fault.REFUSE and held is not Fault.REFUSE:
            self._close()
        elif fault is not Fault.REFUSE and held is Fault.REFUSE:
            self._listen()

    @contextlib.contextmanager
    def fault(self, fault: Fault, only: Collection[str] | None = None, times: int | None = None) -> Iterator[None]:
        self.set(fault, only, times)
        try:
            yield
        finally:
            self.set(Fault.PASS)

    # ------------------------------------------------------------------------------------- serving

    def _listen(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._open.add(self.connection)

            def finish(self) -> None:
                with proxy._lock:
                    proxy._open.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def do_POST(self) -> None:
                proxy._handle(self)

            do_GET = do_POST  # noqa: N815 - http.server names its methods so

            def log_message(self, *_: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the listen backlog: a burst's connections are all accepted

        server = Server(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            _reset(connection)

    def _take(self, operation: str) -> tuple[Fault, threading.Event]:
        with self._lock:
            self.seen[operation] += 1
            rule = self._rule
            applies = rule.fault is not Fault.PASS and (rule.only is None or operation in rule.only)
            if applies and rule.times is not None:
                applies = rule.times > 0
                rule.times -= 1
            return (rule.fault if applies else Fault.PASS), self._lifted

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        target = handler.headers.get("X-Amz-Target", "")
        operation = target.rpartition(".")[2] if target else handler.path.rstrip("/").rpartition("/")[2]
        fault, lifted = self._take(operation)
        if fault in (Fault.PASS, Fault.LOSE, Fault.DROP):
            answer = self._forward(handler, body)
            with self._lock:
                self.forwarded[operation] += 1
            if fault is Fault.PASS:
                _reply(handler, *answer)
                return
        if fault in (Fault.HANG, Fault.LOSE):
            self._hold(handler, lifted)
        elif fault in ANSWERS:
            status, content_type, content = ANSWERS[fault]
            data = (json.dumps(content) if isinstance(content, dict) else content).encode()
            headers = [("Content-Type", content_type)]
            if isinstance(content, dict):
                headers.append(("x-amzn-ErrorType", str(content["__type"])))
            _reply(handler, status, headers, data)
            return
        handler.close_connection = True
        _reset(handler.connection)

    def _hold(self, handler: BaseHTTPRequestHandler, lifted: threading.Event) -> None:
        """Keep the request unanswered until the fault is lifted or the client hangs up."""
        with self._lock:
            self.held += 1
            self.most_held = max(self.most_held, self.held)
        self.any_held.set()
        try:
            while not lifted.wait(0.02):
                readable, _, _ = select.select([handler.connection], [], [], 0)
                if readable and not handler.connection.recv(1, socket.MSG_PEEK):
                    return  # the client closed the connection
        finally:
            with self._lock:
                self.held -= 1
                if not self.held:
                    self.any_held.clear()

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            upstream.putrequest(handler.command, handler.path, skip_host=True, skip_accept_encoding=True)
            for name, value in handler.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    upstream.putheader(name, value)
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            response = upstream.getresponse()
            data = response.read()
            headers = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return response.status, headers, data
        finally:
            upstream.close()


def _reply(handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
    handler.send_response_only(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _reset(connection: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a dying server or a middlebox would."""
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()


@contextlib.contextmanager
def api_behind(
    proxy: FaultProxy, endpoint: str, policies: Path, secrets: Mapping[str, str], **env: str
) -> Iterator[Api]:
    """The API on the aws backend, its Cognito endpoint the proxy in front of `endpoint`, with the policies
    (and client secrets) that `provision_remote` wrote for pools there; settings read from REGAPI_*
    variables as in production (`env` adds to them)."""
    variables = {
        "REGAPI_BACKEND": "aws",
        "REGAPI_COGNITO_ENDPOINT": proxy.url,
        "REGAPI_POLICY_DIR": str(policies),
        "REGAPI_RELOAD": "0",
        "REGAPI_TRUSTED_PROXIES": ",".join(TRUSTED),
        **env,
    }
    with variables_set(secrets):
        app = create_app(Settings.from_env(variables))  # binds the pools: the secrets are read now
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT) as http:
        yield Api(http=http, cognito=StandaloneCognito(endpoint, load_directory(policies)))


@contextlib.contextmanager
def proxied_api(
    proxy: FaultProxy,
    endpoint: str,
    source: Path,
    target: Path,
    log: list[str],
    *,
    adjust: Callable[[Path], None] | None = None,
    **env: str,
) -> Iterator[Api]:
    """`api_behind` on pools provisioned at `endpoint` for the policies of `source`, written to `target`
    (`adjust` may change them first); afterwards no secret it sent is in `log`, and `target` is removed."""
    secrets = provision_remote(endpoint, source, target)
    if adjust is not None:
        adjust(target)
    with api_behind(proxy, endpoint, target, secrets, **env) as api:
        yield api
        assert not LogScan().leaked(log, api.secrets), "a secret reached the logs"
    shutil.rmtree(target)
