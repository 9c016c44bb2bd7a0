"""A Redis that accepts connections and never answers (stalled): an enqueue waits for it a fraction of a
second once, then not at all while the breaker is open, and the deliveries wait in the process's memory,
from where its deliverer sends them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.events.fallback import FallbackQueue
from api.events.model import DeliveryStatus
from api.events.wiring import build
from api.settings import Settings
from tests.helpers.events import delivery, running
from tests.helpers.receiver import Receiver, Silent


@pytest.fixture
def stalled() -> Iterator[Silent]:
    with Silent() as redis:
        yield redis


def test_a_stalled_redis_is_tried_once_then_left_alone_while_the_breaker_is_open(stalled: Silent) -> None:
    clock = [0.0]
    settings = Settings(redis_url=f"redis://127.0.0.1:{stalled.port}/0")
    queue = build(settings).queue
    assert isinstance(queue, FallbackQueue)
    queue = FallbackQueue(queue.redis, queue.memory, monotonic=lambda: clock[0])
    first, second, third = (delivery("http://127.0.0.1:9/hook") for _ in range(3))
    with running(build(Settings())) as loop:  # an event loop of its own, to drive the queue from here
        loop.call(queue.enqueue([first]), timeout=5)  # the enqueue timeout, then memory: never the 30 s here
        tried = stalled.connections
        assert tried >= 1
        loop.call(queue.enqueue([second]), timeout=5)  # the breaker is open: memory at once
        assert stalled.connections == tried
        clock[0] += 6  # the breaker's time is over: Redis is tried again (and fails again)
        loop.call(queue.enqueue([third]), timeout=5)
        loop.wait("Redis tried again", lambda: stalled.connections > tried)
        kept = loop.call(queue.memory.deliveries("events-test", DeliveryStatus.PENDING))
        loop.call(queue.close())
    assert {d.id for d in kept} == {first.id, second.id, third.id}


def test_a_delivery_queued_while_redis_stalls_still_arrives(stalled: Silent, receiver: Receiver) -> None:
    settings = Settings(redis_url=f"redis://127.0.0.1:{stalled.port}/0")
    sent = delivery(receiver.url())
    with running(build(settings)) as events:
        events.enqueue(sent)
        (got,) = receiver.wait_for(1, timeout=20)
    assert got.webhook_id == sent.event.id
    assert got.verified
