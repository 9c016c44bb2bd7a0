"""The events runtime from the settings, and the app's lifespan starting and stopping its deliverer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from api.app import create_app
from api.events.queue import MemoryQueue
from api.events.redis_queue import RedisQueue
from api.events.wiring import build
from api.settings import Settings
from tests.helpers.events import SECRET_ENV, delivery, new_secret
from tests.helpers.receiver import receiving
from tests.helpers.server import LiveServer


def test_the_queue_is_in_memory_by_default_and_in_redis_when_configured(redis_url: str) -> None:
    assert isinstance(build(Settings()).queue, MemoryQueue)
    assert isinstance(build(Settings(redis_url=redis_url)).queue, RedisQueue)


def test_the_apps_lifespan_runs_the_deliverer(policy_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_secret()
    monkeypatch.setenv(SECRET_ENV, secret)
    settings = Settings(policy_dir=policy_dir, reload=False)
    events = build(settings)
    with receiving(secret) as receiver:
        with LiveServer(create_app(settings, events=events)):
            assert events.deliverer.running
            sent = delivery(receiver.url())
            # From this thread, as a request's use case would from the server's: it wakes the deliverer there.
            asyncio.run(events.queue.enqueue([sent]))
            (got,) = receiver.wait_for(1)
        assert not events.deliverer.running
    assert got.verified
    assert got.webhook_id == sent.event.id
