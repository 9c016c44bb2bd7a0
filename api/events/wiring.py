"""The events runtime of one process, from the settings: the queue (in memory, or in Redis when
REGAPI_REDIS_URL is set, with the memory queue as its fallback: api.events.fallback) and the deliverer
task the app's lifespan starts and stops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from api.clock import Clock
from api.events.delivery import POLL_SECONDS, Deliverer
from api.events.fallback import FallbackQueue
from api.events.queue import MemoryQueue, WorkQueue
from api.events.schedule import RETRY_SCHEDULE, RetrySchedule
from api.events.ssrf import Guard, Resolver, system_resolve
from api.events.transport import Timeouts, Transport
from api.policy import TenantPolicy
from api.settings import Settings


@dataclass(slots=True)
class EventsRuntime:
    queue: WorkQueue  # the publisher's and the admin API's: a DeliveryQueue
    deliverer: Deliverer
    transport: Transport

    def follow(self, policies: Mapping[str, TenantPolicy]) -> None:
        """Each attempt goes to its webhook as the tenant's current policy has it (the app's store, which hot
        reload changes in place): a webhook removed since its deliveries were queued gets no more."""
        self.deliverer.policies = policies

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

        # Redis stalled or away: new deliveries wait in this process's memory instead of being dropped.
        # The environment in the keys: a development process sharing production's Redis never takes (and sends,
        # without production's guard) production's deliveries.
        prefix = redis_prefix or f"{PREFIX}{'production' if settings.production else 'development'}:"
        queue = FallbackQueue(RedisQueue(settings.redis_url, clock, prefix=prefix), MemoryQueue(clock))
    else:
        queue = MemoryQueue(clock)
    transport = Transport(Guard(refuse_internal=settings.production, resolve=resolve), timeouts)
    deliverer = Deliverer(queue, transport, schedule=schedule, clock=clock, poll=poll)
    return EventsRuntime(queue, deliverer, transport)
