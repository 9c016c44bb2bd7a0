"""The delivery engine's test harness: deliveries made up for a receiver, and an events runtime running on
an event loop of its own (a thread), so that a test drives it from plain code while receivers answer in
theirs."""

from __future__ import annotations

import asyncio
import base64
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from api.events.model import Delivery, DeliveryStatus, Event, EventType
from api.events.wiring import EventsRuntime

T = TypeVar("T")

SECRET_ENV = "REGAPI_TEST_WEBHOOK_SECRET"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def delivery(
    url: str,
    *,
    tenant: str = "events-test",
    event_type: EventType = EventType.USER_INVITED,
    secret_env: str = SECRET_ENV,
    username: str | None = None,
) -> Delivery:
    event_id = f"msg_{uuid.uuid4().hex}"
    data = {"tenant": tenant, "username": username or f"user-{event_id[-8:]}@example.com", "sub": str(uuid.uuid4())}
    event = Event(event_id, event_type, tenant, datetime.now(UTC), data)
    return Delivery(id=f"{event_id}.0", event=event, url=url, secret_env=secret_env)


class Running:
    """A runtime started on its own loop; `call` runs a coroutine there and returns its result."""

    def __init__(self, runtime: EventsRuntime) -> None:
        self.runtime = runtime
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def enqueue(self, *deliveries: Delivery) -> None:
        self.call(self.runtime.queue.enqueue(deliveries))

    def listed(self, tenant: str = "events-test", status: DeliveryStatus | None = None) -> list[Delivery]:
        return self.call(self.runtime.queue.deliveries(tenant, status, limit=1000))

    def find(self, delivery_id: str, tenant: str = "events-test") -> Delivery:
        (found,) = [d for d in self.listed(tenant) if d.id == delivery_id]
        return found

    def wait(self, what: str, check: Callable[[], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout}s")
            time.sleep(0.02)

    def settled(
        self, delivery_id: str, status: DeliveryStatus, timeout: float = 15, tenant: str = "events-test"
    ) -> Delivery:
        self.wait(f"{delivery_id} {status}", lambda: self.find(delivery_id, tenant).status == status, timeout)
        return self.find(delivery_id, tenant)

    def attempted(self, delivery_id: str, attempts: int, timeout: float = 15, tenant: str = "events-test") -> Delivery:
        done = lambda: self.find(delivery_id, tenant).attempts >= attempts  # noqa: E731
        self.wait(f"{delivery_id} attempted {attempts}x", done, timeout)
        return self.find(delivery_id, tenant)

    def start(self) -> None:
        self._thread.start()
        self.call(self.runtime.start())

    def stop(self) -> None:
        try:
            self.call(self.runtime.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()


@contextmanager
def running(runtime: EventsRuntime) -> Iterator[Running]:
    started = Running(runtime)
    started.start()
    try:
        yield started
    finally:
        started.stop()
