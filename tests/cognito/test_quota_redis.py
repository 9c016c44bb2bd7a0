"""The quota buckets when Redis hangs (api.cognito.buckets.RedisBuckets): a Redis that accepts connections
and never answers costs one short timeout, then the breaker keeps the takes on this process's own buckets
without trying Redis again until its window has passed; one warning for the outage, and the buckets are
shared again once Redis answers. A take made outside the event loop (the start-up checks) shares the
bucket with the async takes of the requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from api.cognito.buckets import RedisBuckets
from api.cognito.quotas import capacity

CATEGORY = "UserCreation"
# Far beyond what a take costs with the buckets' short Redis timeout, far below what it cost without (the
# client's default timeout of 5 s, tried again three times, on every take).
GUARD_SECONDS = 20


class StuckRedis:
    """A TCP server on loopback that accepts every connection and reads whatever comes without ever
    answering, as a Redis that hangs does; after `recover()` it relays new connections to a real Redis."""

    def __init__(self, real: str | None = None) -> None:
        self._real = real
        self._relay = False
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"
        self.accepted = 0
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def recover(self) -> None:
        self._relay = True

    def close(self) -> None:
        self._server.close()
        for connection in self._open:
            with contextlib.suppress(OSError):
                connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            self._open.append(connection)
            if self._relay and self._real is not None:
                parts = urlsplit(self._real)
                upstream = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))
                self._open.append(upstream)
                for source, target in ((connection, upstream), (upstream, connection)):
                    threading.Thread(target=_pipe, args=(source, target), daemon=True).start()
            else:
                threading.Thread(target=_swallow, args=(connection,), daemon=True).start()


def _swallow(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while connection.recv(4096):
            pass


def _pipe(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(4096):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def stuck_redis(real: str | None = None) -> Iterator[StuckRedis]:
    server = StuckRedis(real)
    try:
        yield server
    finally:
        server.close()


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_redis_that_hangs_is_tried_once_then_the_breaker_keeps_to_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five takes while Redis hangs: the first waits for the short timeout and falls back, the other four
    go to the fallback at once without connecting to Redis again (the breaker is open for 5 s). The
    fallback answers as a bucket of its own (2 tokens), and one warning says so."""

    async def main(url: str) -> list[bool]:
        buckets = RedisBuckets(url)
        return [await buckets.take(CATEGORY, "a", 2, capacity(2)) == 0 for _ in range(5)]

    with stuck_redis() as redis, caplog.at_level(logging.INFO, "regapi.cognito"):
        taken = asyncio.run(asyncio.wait_for(main(redis.url), GUARD_SECONDS))
        assert redis.accepted == 1
    assert taken == [True, True, False, False, False]
    assert warnings_of(caplog) == [
        "cognito quota buckets: Redis unreachable (TimeoutError), this process counts alone (each quota) and "
        "tries Redis again every 5 s"
    ]


def test_the_breaker_tries_redis_again_after_its_window_and_shares_again_once_it_answers(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A breaker of 0.2 s: once it has passed, the next take tries Redis again (a second connection), still
    hung: no second warning for the same outage. Redis answering again, the takes are Redis's again (its
    bucket holds its own tokens, whatever the fallback spent) and an INFO line says so."""
    prefix = f"regapi:quota:breaker-{uuid.uuid4().hex[:8]}:"

    async def main(redis: StuckRedis) -> list[bool]:
        buckets = RedisBuckets(redis.url, prefix=prefix, breaker=0.2)
        taken = [await buckets.take(CATEGORY, "a", 2, capacity(2)) == 0 for _ in range(3)]
        assert redis.accepted == 1
        await asyncio.sleep(0.3)  # the breaker's window passes
        taken.append(await buckets.take(CATEGORY, "a", 2, capacity(2)) == 0)
        assert redis.accepted == 2
        redis.recover()
        await asyncio.sleep(0.3)
        # Redis's own bucket is full (2 tokens): the fallback's spent tokens do not count there.
        taken += [await buckets.take(CATEGORY, "a", 2, capacity(2)) == 0 for _ in range(3)]
        return taken

    with stuck_redis(redis_url) as redis, caplog.at_level(logging.INFO, "regapi.cognito"):
        taken = asyncio.run(asyncio.wait_for(main(redis), GUARD_SECONDS))
    # (The fourth take's answer is the fallback's, refilled meanwhile.)
    assert taken[:3] + taken[4:] == [True, True, False, True, True, False]
    assert len(warnings_of(caplog)) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "cognito quota buckets: Redis reachable again, the processes share the buckets again"
    ]


def test_a_take_outside_the_event_loop_shares_the_bucket_of_the_async_takes(redis_url: str) -> None:
    """The start-up checks take their tokens with take_now (blocking, a client of its own): one bucket with
    the requests' takes of another process, not one each."""
    prefix = f"regapi:quota:blocking-{uuid.uuid4().hex[:8]}:"
    blocking, requests = RedisBuckets(redis_url, prefix=prefix), RedisBuckets(redis_url, prefix=prefix)

    async def take() -> list[bool]:
        return [await requests.take(CATEGORY, "-", 4, capacity(4)) == 0 for _ in range(3)]

    got = [blocking.take_now(CATEGORY, "-", 4, capacity(4)) == 0 for _ in range(2)] + asyncio.run(take())
    assert got == [True, True, True, True, False]
