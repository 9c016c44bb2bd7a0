"""The delivery queue's contract, in memory and in a real Redis alike: the listing, replay of dead letters,
the bounds and expiries; and in Redis, claims that are leases across processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis
import redis.asyncio

from api.clock import ManualClock
from api.events.model import DeliveryStatus
from api.events.queue import DELIVERED_KEPT, FAILED_KEPT, MemoryQueue, WorkQueue
from api.events.redis_queue import RedisQueue
from tests.helpers.events import delivery

LEASE = timedelta(seconds=60)
URL = "https://partner.example/hook"


@pytest.fixture
def prefix() -> str:
    return f"regapi:events:test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def make(kind: str, clock: ManualClock, prefix: str, request: pytest.FixtureRequest) -> Callable[..., WorkQueue]:
    """Builds queues of the kind under test; Redis ones share one key prefix (one deployment)."""

    def build(keep: int = 1000) -> WorkQueue:
        if kind == "memory":
            return MemoryQueue(clock, keep_per_tenant=keep)
        url: str = request.getfixturevalue("redis_url")
        return RedisQueue(url, clock, prefix=prefix, keep_per_tenant=keep)

    return build


async def settle_as(queue: WorkQueue, status: DeliveryStatus, now: datetime) -> str:
    (claimed,) = await queue.claim(now, 1, LEASE)
    claimed.status, claimed.attempts, claimed.last_attempt_at = status, claimed.attempts + 1, now
    claimed.next_attempt_at = None
    await queue.settle(claimed)
    return claimed.id


def test_listing_is_newest_first_filtered_and_per_tenant(make: Callable[..., WorkQueue], clock: ManualClock) -> None:
    async def main() -> None:
        queue = make()
        first, second, third = (delivery(URL) for _ in range(3))
        other = delivery(URL, tenant="someone-else")
        for item in (first, second, third, other):
            await queue.enqueue([item])
            clock.advance(timedelta(milliseconds=5))
        assert [d.id for d in await queue.deliveries("events-test", None)] == [third.id, second.id, first.id]
        assert [d.id for d in await queue.deliveries("events-test", None, limit=2)] == [third.id, second.id]
        delivered = await settle_as(queue, DeliveryStatus.DELIVERED, clock.now())
        assert delivered == first.id  # the earliest due first
        assert [d.id for d in await queue.deliveries("events-test", DeliveryStatus.DELIVERED)] == [first.id]
        pending = await queue.deliveries("events-test", DeliveryStatus.PENDING)
        assert [d.id for d in pending] == [third.id, second.id]
        assert [d.id for d in await queue.deliveries("someone-else", None)] == [other.id]
        await queue.close()

    asyncio.run(main())


def test_the_listing_is_bounded_and_settled_ones_expire(
    make: Callable[..., WorkQueue], clock: ManualClock, kind: str
) -> None:
    async def main() -> None:
        queue = make(keep=3)
        sent = [delivery(URL) for _ in range(5)]
        for item in sent:
            await queue.enqueue([item])
            clock.advance(timedelta(milliseconds=5))
        assert [d.id for d in await queue.deliveries("events-test", None)] == [d.id for d in reversed(sent[2:])]
        # The two that left the listing are still delivered.
        claimed = await queue.claim(clock.now(), 10, LEASE)
        assert {d.id for d in claimed} == {d.id for d in sent}
        if kind == "memory":  # Redis expires by TTL: its own clock (checked in test_redis_queue)
            for item in claimed:
                item.status, item.last_attempt_at, item.next_attempt_at = DeliveryStatus.DELIVERED, clock.now(), None
                await queue.settle(item)
            clock.advance(DELIVERED_KEPT + timedelta(seconds=1))
            assert await queue.deliveries("events-test", None) == []
        await queue.close()

    asyncio.run(main())


def test_replay_takes_only_a_dead_letter_of_the_tenant_and_only_once(
    make: Callable[..., WorkQueue], clock: ManualClock
) -> None:
    async def main() -> None:
        queue = make()
        sent = delivery(URL)
        await queue.enqueue([sent])
        assert await queue.replay("events-test", sent.id) is None  # PENDING
        await settle_as(queue, DeliveryStatus.FAILED, clock.now())
        assert await queue.claim(clock.now() + timedelta(days=1), 10, LEASE) == []  # a dead letter is never due
        assert await queue.replay("someone-else", sent.id) is None
        assert await queue.replay("events-test", "msg_unknown.0") is None
        clock.advance(timedelta(minutes=1))
        answers = await asyncio.gather(*(queue.replay("events-test", sent.id) for _ in range(8)))
        replayed = [a for a in answers if a is not None]
        assert len(replayed) == 1
        assert (replayed[0].status, replayed[0].attempts) == (DeliveryStatus.PENDING, 0)
        (again,) = await queue.claim(clock.now(), 10, LEASE)
        assert again.id == sent.id
        assert again.event.body() == sent.event.body()
        await queue.close()

    asyncio.run(main())


def test_the_next_due_time_and_due_order(make: Callable[..., WorkQueue], clock: ManualClock, kind: str) -> None:
    async def main() -> None:
        queue = make()
        assert await queue.next_due() is None
        sent = delivery(URL)
        await queue.enqueue([sent])
        assert await queue.next_due() == clock.now()
        (claimed,) = await queue.claim(clock.now(), 10, LEASE)
        if kind == "redis":  # in flight: due again when its lease ends (another process may take it then)
            assert await queue.next_due() == clock.now() + LEASE
        else:  # one process: its own attempt settles it
            assert await queue.next_due() is None
        claimed.next_attempt_at = clock.now() + timedelta(seconds=30)
        await queue.settle(claimed)
        assert await queue.next_due() == clock.now() + timedelta(seconds=30)
        assert await queue.claim(clock.now() + timedelta(seconds=29), 10, LEASE) == []
        assert len(await queue.claim(clock.now() + timedelta(seconds=30), 10, LEASE)) == 1
        await queue.close()

    asyncio.run(main())


def test_a_claim_in_redis_is_a_lease_and_a_lost_claim_settles_nothing(redis_url: str, prefix: str) -> None:
    """Two processes: the second takes a delivery only once the first one's lease is over, and the first
    one's late result is then ignored."""
    now = datetime(2026, 1, 1, tzinfo=UTC)

    async def main() -> None:
        clock = ManualClock(now)
        first, second = RedisQueue(redis_url, clock, prefix=prefix), RedisQueue(redis_url, clock, prefix=prefix)
        sent = delivery(URL)
        await first.enqueue([sent])
        (held,) = await first.claim(now, 10, LEASE)
        assert await second.claim(now, 10, LEASE) == []
        assert await second.claim(now + LEASE - timedelta(milliseconds=1), 10, LEASE) == []
        (taken,) = await second.claim(now + LEASE, 10, LEASE)  # the first one died, say
        held.status, held.attempts = DeliveryStatus.DELIVERED, 1
        await first.settle(held)  # too late: ignored
        assert (await second.deliveries("events-test", None))[0].status == DeliveryStatus.PENDING
        taken.status, taken.attempts = DeliveryStatus.DELIVERED, 1
        await second.settle(taken)
        (listed,) = await first.deliveries("events-test", None)
        assert (listed.status, listed.attempts) == (DeliveryStatus.DELIVERED, 1)
        await first.close()
        await second.close()

    asyncio.run(main())


def test_redis_keeps_deliveries_for_their_time_and_never_a_secret(
    redis_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGAPI_TEST_WEBHOOK_SECRET", "whsec_c2VjcmV0LW5ldmVyLWluLXJlZGlzLTEyMzQ1Njc4")
    now = datetime.now(UTC) + timedelta(seconds=5)  # after the enqueue: due

    async def main() -> tuple[str, str]:
        queue = RedisQueue(redis_url, prefix=prefix)
        await queue.enqueue([delivery(URL), delivery(URL)])
        settled = [await settle_as(queue, status, now) for status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)]
        await queue.close()
        return settled[0], settled[1]

    delivered_id, failed_id = asyncio.run(main())
    client = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in client.scan_iter(match=f"{prefix}*")]
    assert all(k.startswith(prefix + "{queue}:") for k in keys)
    delivered_ttl = client.ttl(f"{prefix}{{queue}}:delivery:{delivered_id}")
    failed_ttl = client.ttl(f"{prefix}{{queue}}:delivery:{failed_id}")
    assert DELIVERED_KEPT.total_seconds() - 60 < delivered_ttl <= DELIVERED_KEPT.total_seconds()
    assert FAILED_KEPT.total_seconds() - 60 < failed_ttl <= FAILED_KEPT.total_seconds()
    stored = b"".join(client.get(k) or b"" for k in keys if ":delivery:" in k)
    assert b"REGAPI_TEST_WEBHOOK_SECRET" in stored  # the variable's name, which the deliverer reads
    assert b"c2VjcmV0LW5ldmVyLWluLXJlZGlz" not in stored


def test_an_unreadable_record_in_redis_is_dropped_and_the_others_still_go(redis_url: str, prefix: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)

    async def main() -> None:
        queue = RedisQueue(redis_url, ManualClock(now), prefix=prefix)
        sent = delivery(URL)
        await queue.enqueue([sent])
        client = redis.asyncio.Redis.from_url(redis_url)
        await client.set(f"{prefix}{{queue}}:delivery:msg_broken.0", b"{not json")
        await client.zadd(f"{prefix}{{queue}}:due", {"msg_broken.0": 0})
        assert [d.id for d in await queue.claim(now, 10, LEASE)] == [sent.id]
        assert await client.zscore(f"{prefix}{{queue}}:due", "msg_broken.0") is None
        await client.aclose()
        await queue.close()

    asyncio.run(main())


def test_redis_deletes_the_settled_deliveries_its_listing_trims(redis_url: str, prefix: str) -> None:
    """Beyond the tenant's bound a settled delivery is gone at once, not kept for days that nothing reads;
    a pending one trimmed from the listing stays, to be delivered, and goes once settled."""
    now = datetime.now(UTC) + timedelta(seconds=5)  # after the enqueues: due

    async def main() -> tuple[list[str], str, list[str]]:
        queue = RedisQueue(redis_url, prefix=prefix, keep_per_tenant=2)
        old = [delivery(URL) for _ in range(3)]
        for item in old:
            await queue.enqueue([item])
        settled = [await settle_as(queue, status, now) for status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)]
        (pending,) = {d.id for d in old} - set(settled)
        newer = [delivery(URL) for _ in range(2)]
        await queue.enqueue(newer)
        await queue.close()
        return settled, pending, [d.id for d in newer]

    settled, pending, newer = asyncio.run(main())
    client = redis.Redis.from_url(redis_url)
    record = f"{prefix}{{queue}}:delivery:"
    assert [client.exists(record + i) for i in settled] == [0, 0]
    assert client.exists(record + pending) == 1
    assert [client.exists(record + i) for i in newer] == [1, 1]
    assert client.zcard(f"{prefix}{{queue}}:tenant:events-test") == 2
    client.close()
