"""A webhook receiver on 127.0.0.1, as a partner would run one: a threaded http.server that checks every
delivery's signature with the `standardwebhooks` verifier and answers as each path is told to.

`receiver.answer(path, Reply(500), Reply(200))` makes the first request to `path` get 500, the next 200 and
every later one the last reply again (200 by default). A `Reply` may wait before answering (a receiver
that hangs), redirect (`location`), or stream a body of `body_bytes` (one that floods; `written` counts
what it managed to send before the client closed). Every request is kept (`received`), with whether its
signature verified and how many deliveries of the same `webhook-id` were being answered at that moment.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0  # seconds before answering
    location: str | None = None  # a Location header (a redirect)
    body_bytes: int = 0  # a body of this many bytes, streamed
    chunk: int = 64 * 1024  # streamed in writes of this many bytes
    pause: float = 0.0  # seconds between two writes (a receiver that trickles)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    at: float  # time.monotonic() when it arrived
    overlapping: int  # other requests of the same webhook-id being answered when it arrived
    written: int = 0  # body bytes this answer managed to send
    reset: bool = False  # the client closed before the whole answer was sent

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class _State:
    secret: str | None
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    lock: threading.Condition = field(default_factory=threading.Condition)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        verified = False
        if state.secret is not None:
            try:
                Webhook(state.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        webhook_id = headers.get("webhook-id", "")
        path = urlsplit(self.path).path  # without the query: replies and records are by path
        with state.lock:
            queue = state.replies.get(path, [])
            reply = queue.pop(0) if len(queue) > 1 else (queue[0] if queue else Reply())
            overlapping = state.in_flight.get(webhook_id, 0)
            state.in_flight[webhook_id] = overlapping + 1
            record = Received(self.command, path, headers, body, verified, time.monotonic(), overlapping)
            state.received.append(record)
            state.lock.notify_all()
        try:
            self._answer(reply, record)
        finally:
            with state.lock:
                state.in_flight[webhook_id] -= 1

    def do_GET(self) -> None:  # a redirect followed would arrive as a GET: recorded too, never expected
        self.do_POST()

    def _answer(self, reply: Reply, record: Received) -> None:
        time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            if reply.location is not None:
                self.send_header("Location", reply.location)
            self.send_header("Content-Length", str(reply.body_bytes))
            self.end_headers()
            chunk = b"x" * reply.chunk
            while record.written < reply.body_bytes:
                part = chunk[: reply.body_bytes - record.written]
                self.wfile.write(part)
                record.written += len(part)
                time.sleep(reply.pause)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            record.reset = True
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # bursts of deliveries connect at once; the default backlog of 5 drops some
    state: _State


class Receiver:
    def __init__(self, secret: str | None = None) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = _State(secret)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *replies: Reply) -> None:
        with self._server.state.lock:
            self._server.state.replies[path] = list(replies)

    def received(self, path: str | None = None) -> list[Received]:
        with self._server.state.lock:
            return [r for r in self._server.state.received if path is None or r.path == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 15.0) -> list[Received]:
        """The first `count` requests (to `path`), waiting for them; AssertionError when they do not come."""
        state = self._server.state
        with state.lock:
            arrived = state.lock.wait_for(
                lambda: len([r for r in state.received if path is None or r.path == path]) >= count, timeout
            )
            seen = [r for r in state.received if path is None or r.path == path]
        assert arrived, f"{len(seen)} of {count} deliveries arrived at {path or 'the receiver'} in {timeout}s"
        return seen[:count]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Silent:
    """A peer on 127.0.0.1 that accepts every connection and never answers (a hung receiver, a stalled
    Redis); `connections` counts those accepted."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._socket.getsockname()[1]
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._held)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):  # closed: the test is over
            while True:
                peer, _ = self._socket.accept()
                with self._lock:
                    self._held.append(peer)

    def __enter__(self) -> Silent:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._socket.close()
        with self._lock:
            for peer in self._held:
                peer.close()


@contextlib.contextmanager
def receiving(secret: str | None = None) -> Iterator[Receiver]:
    with Receiver(secret) as receiver:
        yield receiver
