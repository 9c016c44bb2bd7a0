"""The events runtime of one process, from the settings: the queue (in memory, or in Redis when
REGAPI_REDIS_URL is set) and the deliverer task the app's lifespan starts and stops."""

from __future__ import annotations

from dataclasses import dataclass

from api.clock import Clock
from api.events.delivery import POLL_SECONDS, Deliverer
from api.events.queue import MemoryQueue, WorkQueue
from api.events.schedule import RETRY_SCHEDULE, RetrySchedule
from api.events.ssrf import Guard, Resolver, system_resolve
from api.events.transport import Timeouts, Transport
from api.settings import Settings


@dataclass(slots=True)
class EventsRuntime:
    queue: WorkQueue  # the publisher's and the admin API's: a DeliveryQueue
    deliverer: Deliverer
    transport: Transport

    async def start(self) -> None:
        await self.deliverer.start()

    async def stop(self) -> None:
        """Stops the deliverer (attempts in flight get a moment to end, then are given back), closes its
        connections; deliveries still pending stay in Redis for the next process."""
        await self.deliverer.stop()
        await self.transport.close()
        await self.queue.close()


def build(
    settings: Settings,
    clock: Clock | None = None,
    *,
    schedule: RetrySchedule = RETRY_SCHEDULE,
    timeouts: Timeouts | None = None,
    resolve: Resolver = system_resolve,
    poll: float = POLL_SECONDS,
    redis_prefix: str | None = None,
) -> EventsRuntime:
    """`clock` keeps the schedule (None: the system's). The keywords are for tests: a schedule that runs in
    a second, short timeouts, a resolver that answers for made-up names, a Redis key prefix of their own."""
    queue: WorkQueue
    if settings.redis_url:
        from api.events.redis_queue import PREFIX, RedisQueue  # noqa: PLC0415 - only when Redis is configured

        queue = RedisQueue(settings.redis_url, clock, prefix=redis_prefix or PREFIX)
    else:
        queue = MemoryQueue(clock)
    transport = Transport(Guard(refuse_internal=settings.production, resolve=resolve), timeouts)
    deliverer = Deliverer(queue, transport, schedule=schedule, clock=clock, poll=poll)
    return EventsRuntime(queue, deliverer, transport)
