"""Deliverers sharing one real Redis, as several processes would: a burst is delivered once per delivery,
never by two of them at the same time; and a delivery pending in Redis outlives the runtime that had it."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from api.events.fallback import FallbackQueue
from api.events.model import Delivery, DeliveryStatus
from api.events.redis_queue import RedisQueue
from api.events.schedule import RetrySchedule
from api.events.transport import Timeouts
from api.events.wiring import EventsRuntime, build
from api.settings import Settings
from tests.helpers.events import delivery, running
from tests.helpers.processes import free_port
from tests.helpers.receiver import Receiver, Reply


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return Settings(redis_url=redis_url)


@pytest.fixture
def prefix() -> str:
    return f"regapi:events:test-{uuid.uuid4().hex[:8]}:"


def runtime(settings: Settings, prefix: str, **options: object) -> EventsRuntime:
    built = build(settings, redis_prefix=prefix, **options)  # type: ignore[arg-type]
    assert isinstance(built.queue, FallbackQueue)
    assert isinstance(built.queue.redis, RedisQueue)
    return built


class Counted:
    """The deliveries one runtime's deliverer settled (which of the processes sent what)."""

    def __init__(self, built: EventsRuntime) -> None:
        self.ids: list[str] = []
        queue = built.queue
        settle = queue.settle

        async def counted(delivery: Delivery) -> None:
            self.ids.append(delivery.id)
            await settle(delivery)

        queue.settle = counted  # type: ignore[method-assign]


def test_two_deliverers_on_one_redis_deliver_each_delivery_once(
    receiver: Receiver, settings: Settings, prefix: str
) -> None:
    receiver.answer("/burst", Reply(200, delay=0.05))  # slow enough that both have attempts in flight
    burst = [delivery(receiver.url("/burst")) for _ in range(60)]
    one, two = runtime(settings, prefix), runtime(settings, prefix)
    by_one, by_two = Counted(one), Counted(two)
    with running(one) as first, running(two) as second:
        first.enqueue(*burst[::2])
        second.enqueue(*burst[1::2])
        for sent in burst:
            first.settled(sent.id, DeliveryStatus.DELIVERED)
    arrivals = receiver.received("/burst")
    assert sorted(r.webhook_id for r in arrivals) == sorted(d.event.id for d in burst)  # each once
    assert all(r.verified for r in arrivals)
    assert all(r.overlapping == 0 for r in arrivals)
    assert by_one.ids
    assert by_two.ids  # both took part
    assert set(by_one.ids) | set(by_two.ids) == {d.id for d in burst}


def test_a_delivery_pending_in_redis_is_delivered_after_a_restart(
    receiver: Receiver, settings: Settings, prefix: str
) -> None:
    receiver.answer("/restart", Reply(500), Reply(200))
    sent = delivery(receiver.url("/restart"))
    schedule = RetrySchedule(steps=(1.0,))
    with running(runtime(settings, prefix, schedule=schedule)) as before:
        before.enqueue(sent)
        failed = before.attempted(sent.id, 1)  # answered 500: a retry is due in a second
    assert failed.status == DeliveryStatus.PENDING
    assert len(receiver.received("/restart")) == 1

    with running(runtime(settings, prefix, schedule=schedule)) as after:  # a new process, same Redis
        settled = after.settled(sent.id, DeliveryStatus.DELIVERED)
    first, second = receiver.received("/restart")
    assert first.webhook_id == second.webhook_id == sent.event.id
    assert second.verified
    assert second.body == sent.event.body()
    assert settled.attempts == 2


def test_an_attempt_in_flight_at_stop_is_given_back_and_sent_by_the_next_process(
    receiver: Receiver, settings: Settings, prefix: str
) -> None:
    receiver.answer("/hang", Reply(200, delay=60.0), Reply(200))
    sent = delivery(receiver.url("/hang"))
    patient = Timeouts(read=120.0, total=120.0)  # so the attempt is still waiting when the stop's grace ends
    with running(runtime(settings, prefix, timeouts=patient)) as before:
        before.enqueue(sent)
        receiver.wait_for(1, "/hang")
    # Stopped mid-attempt, its answer a minute away: given back due now, not after its 60 s lease.
    with running(runtime(settings, prefix)) as after:
        receiver.wait_for(2, "/hang", timeout=10)
        settled = after.settled(sent.id, DeliveryStatus.DELIVERED)
    assert settled.attempts == 1  # the one given back left no failed attempt behind
    assert {r.webhook_id for r in receiver.received("/hang")} == {sent.event.id}


def test_the_deliverer_outlives_a_redis_that_is_away(caplog: pytest.LogCaptureFixture) -> None:
    away = Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING, logger="regapi.events"), running(build(away, poll=0.02)) as events:
        events.wait("a few polls", lambda: len([r for r in caplog.records if "unavailable" in r.getMessage()]) >= 1)
        for _ in range(5):  # the loop goes on polling, and says so once
            events.call(asyncio.sleep(0.05))
        assert events.runtime.deliverer.running
    assert len([r for r in caplog.records if "webhook queue unavailable" in r.getMessage()]) == 1
