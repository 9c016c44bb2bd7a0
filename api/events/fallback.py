"""The Redis queue with this process's memory queue behind it, for when Redis stalls or is away.

A request that emits an event waits for Redis at most ENQUEUE_TIMEOUT; when Redis fails (or is that
slow), its deliveries go to the memory queue instead of being dropped, and a breaker keeps every
enqueue and the deliverer off Redis for BREAKER_SECONDS, so a stalled Redis costs one request a fraction
of a second, not each of them. Once the breaker's time is over one call tries Redis again (the others stay
on memory until it has its answer). The deliverer of this process sends from both queues; what the memory
queue holds does not survive a restart of the process (the price of not losing the event outright), and
an enqueue that timed out may still have reached Redis: that delivery may then go out twice (at least
once, as ever; partners drop duplicates by `webhook-id`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from api.events.model import Delivery, DeliveryStatus
from api.events.queue import MemoryQueue, WorkQueue

log = logging.getLogger("regapi.events")

T = TypeVar("T")

ENQUEUE_TIMEOUT = 0.3  # seconds a request waits for Redis (normally a millisecond)
BREAKER_SECONDS = 5.0  # after a failure, Redis is not tried for this long


class FallbackQueue:
    def __init__(
        self,
        redis: WorkQueue,
        memory: MemoryQueue,
        *,
        timeout: float = ENQUEUE_TIMEOUT,
        breaker: float = BREAKER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.memory = memory
        self._timeout = timeout
        self._breaker = breaker
        self._monotonic = monotonic
        self._open_until = -math.inf  # Redis is not tried before this
        self._down = False  # since the last failure, no call has reached Redis

    def listen(self, wake: Callable[[], None] | None) -> None:
        self.redis.listen(wake)
        self.memory.listen(wake)

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        if self._tried():
            try:
                async with asyncio.timeout(self._timeout):
                    await self.redis.enqueue(deliveries)
            except Exception as error:
                self._failed(error)
            else:
                self._worked()
                return
        await self.memory.enqueue(deliveries)

    async def deliveries(self, tenant: str, status: DeliveryStatus | None, limit: int = 100) -> list[Delivery]:
        kept = await self.memory.deliveries(tenant, status, limit)
        found = kept + await self._redis(lambda: self.redis.deliveries(tenant, status, limit), list[Delivery]())
        found.sort(key=lambda d: d.event.timestamp, reverse=True)
        return found[:limit]

    async def replay(self, tenant: str, delivery_id: str) -> Delivery | None:
        replayed = await self.memory.replay(tenant, delivery_id)
        if replayed is not None:
            return replayed
        return await self._redis(lambda: self.redis.replay(tenant, delivery_id), None, raising=True)

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        claimed = await self.memory.claim(now, limit, lease)
        if len(claimed) < limit:
            # Redis away: what memory holds still goes out; with nothing there, the deliverer hears of it.
            claimed += await self._redis(
                lambda: self.redis.claim(now, limit - len(claimed), lease), [], raising=not claimed
            )
        return claimed

    async def settle(self, delivery: Delivery) -> None:
        if self.memory.holds(delivery.id):
            await self.memory.settle(delivery)
        else:
            await self.redis.settle(delivery)  # its claim came from Redis, breaker or not

    async def next_due(self) -> datetime | None:
        kept = await self.memory.next_due()
        shared = await self._redis(self.redis.next_due, None, raising=kept is None)
        return min((due for due in (kept, shared) if due is not None), default=None)

    async def close(self) -> None:
        await self.memory.close()
        await self.redis.close()

    async def _redis(self, call: Callable[[], Awaitable[T]], otherwise: T, *, raising: bool = False) -> T:
        """`call`'s answer, or `otherwise` while the breaker is open (an error: raised when `raising`)."""
        if not self._tried():
            if raising:
                raise ConnectionError("Redis is not tried for a while (it failed)")
            return otherwise
        try:
            answer = await call()
        except Exception as error:
            self._failed(error)
            if raising:
                raise
            return otherwise
        self._worked()
        return answer

    def _tried(self) -> bool:
        now = self._monotonic()
        if now < self._open_until:
            return False
        if self._down:  # the one call that tries again: the others stay off Redis until it answers
            self._open_until = now + self._breaker
        return True

    def _failed(self, error: Exception) -> None:
        self._open_until = self._monotonic() + self._breaker
        if not self._down:
            reason = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
            log.warning(
                "webhook queue in Redis unavailable (%s): new events kept in this process's memory (lost if it "
                "restarts); Redis tried again in %gs",
                reason,
                self._breaker,
            )
        self._down = True

    def _worked(self) -> None:
        if self._down:
            log.warning("webhook queue in Redis reachable again")
        self._down, self._open_until = False, -math.inf
