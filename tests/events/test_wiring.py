"""The events runtime from the settings, and the app's lifespan starting and stopping its deliverer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis

from api.app import create_app
from api.events.fallback import FallbackQueue
from api.events.model import Delivery
from api.events.queue import MemoryQueue, WorkQueue
from api.events.redis_queue import RedisQueue
from api.events.wiring import build
from api.settings import Settings
from tests.helpers import TESTS
from tests.helpers.events import SECRET_ENV, delivery, new_secret
from tests.helpers.receiver import receiving
from tests.helpers.server import LiveServer


def test_the_queue_is_in_memory_by_default_and_in_redis_when_configured(redis_url: str) -> None:
    assert isinstance(build(Settings()).queue, MemoryQueue)
    queue = build(Settings(redis_url=redis_url)).queue
    assert isinstance(queue, FallbackQueue)
    assert isinstance(queue.redis, RedisQueue)
    assert isinstance(queue.memory, MemoryQueue)


def test_the_apps_lifespan_runs_the_deliverer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_secret()
    monkeypatch.setenv(SECRET_ENV, secret)
    settings = Settings(policy_dir=tmp_path, reload=False)
    events = build(settings)
    with receiving(secret) as receiver:
        # The deliverer sends only to webhooks the tenant's policy has: one pointed at the receiver.
        hooked = (TESTS / "fixtures" / "webhooks" / "hooked.yaml").read_text()
        hooked = hooked.replace("http://receiver.invalid/crm", receiver.url()).replace(
            "HOOKED_WEBHOOK_SECRET", SECRET_ENV
        )
        (tmp_path / "hooked.yaml").write_text(hooked)
        with LiveServer(create_app(settings, events=events)):
            assert events.deliverer.running
            sent = delivery(receiver.url(), tenant="hooked")
            # From this thread, as a request's use case would from the server's: it wakes the deliverer there.
            asyncio.run(events.queue.enqueue([sent]))
            (got,) = receiver.wait_for(1)
        assert not events.deliverer.running
    assert got.verified
    assert got.webhook_id == sent.event.id


def test_each_environment_has_its_own_keys_in_a_shared_redis(redis_url: str) -> None:
    """A development process on production's Redis neither sees nor sends production's deliveries."""
    client = redis.Redis.from_url(redis_url)
    sent = {production: delivery("https://partner.example/hook") for production in (True, False)}
    for production, one in sent.items():
        queue = build(Settings(redis_url=redis_url, production=production)).queue

        async def queued(queue: WorkQueue = queue, one: Delivery = one) -> None:  # no deliverer: never sent
            await queue.enqueue([one])
            await queue.close()

        asyncio.run(queued())
    keys = {key.decode() for key in client.scan_iter(match="regapi:events:*delivery:*")}
    for environment, one in (("production", sent[True]), ("development", sent[False])):  # never sent later
        base = f"regapi:events:{environment}:{{queue}}:"
        client.delete(f"{base}delivery:{one.id}")
        client.zrem(f"{base}due", one.id)
        client.zrem(f"{base}tenant:{one.event.tenant}", one.id)
    client.close()
    assert f"regapi:events:production:{{queue}}:delivery:{sent[True].id}" in keys
    assert f"regapi:events:development:{{queue}}:delivery:{sent[False].id}" in keys
    assert not [key for key in keys if key.startswith("regapi:events:{queue}:")]
