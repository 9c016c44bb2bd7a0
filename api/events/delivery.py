"""The deliverer: a background task of each process that takes due deliveries from the queue and sends them.

It wakes at once when this process enqueues (the queue's listener), and otherwise looks at the schedule
every POLL_SECONDS (the deliveries other processes enqueued in Redis, and the retries that came due); at
most `concurrency` attempts run at once, and at most `per_tenant` of one tenant (a receiver that hangs
holds its tenant's share of the slots, not every tenant's). Nothing of it runs on a request's path: the publisher only
enqueues. Each attempt is counted (`regapi_webhook_deliveries`: delivered, retrying or failed) and a
failed one logs one WARNING line: tenant, type, delivery id, the URL's host, the attempt, a few words of
error (never the body, the secret, the URL's path or query).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from api.clock import Clock, SystemClock
from api.events import signing
from api.events.model import Delivery, DeliveryStatus
from api.events.queue import WorkQueue
from api.events.schedule import RETRY_SCHEDULE, RetrySchedule
from api.events.transport import Answer, Transport
from api.observability import metrics
from api.observability.logging import FIELDS
from api.policy import TenantPolicy

log = logging.getLogger("regapi.events")

CONCURRENCY = 8
# Attempts of one tenant in flight at once in a process: a receiver that hangs holds that many slots, never
# all of them, so the other tenants' deliveries still go out.
PER_TENANT = 2
# A claimed delivery of a tenant already at PER_TENANT is handed back due again after this (not an attempt).
HANDBACK = timedelta(seconds=1)
POLL_SECONDS = 1.0
# A claimed delivery is due again after this: far beyond an attempt's deadline, so two deliverers never
# send one delivery at the same time, short enough that one that died is retried soon.
LEASE = timedelta(seconds=60)
# Seconds stop() lets the attempts in flight finish before it cancels them (and gives them back, due now).
STOP_GRACE = 2.0
REMOVED = "webhook removed from the policy"


class Deliverer:
    def __init__(
        self,
        queue: WorkQueue,
        transport: Transport,
        *,
        schedule: RetrySchedule = RETRY_SCHEDULE,
        clock: Clock | None = None,
        concurrency: int = CONCURRENCY,
        per_tenant: int = PER_TENANT,
        poll: float = POLL_SECONDS,
        lease: timedelta = LEASE,
        policies: Mapping[str, TenantPolicy] | None = None,
    ) -> None:
        self._queue = queue
        self._transport = transport
        self._schedule = schedule
        self._clock = clock or SystemClock()
        self._concurrency = concurrency
        self._per_tenant = per_tenant
        self._poll = poll
        self._lease = lease
        self.policies = policies  # the tenants' current policies (the app's store): None sends as queued
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._tenants: Counter[str] = Counter()  # the attempts in flight of each tenant
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._unavailable = False  # the queue failed last time: log again only once it worked

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is not None:
            return
        loop = asyncio.get_running_loop()
        wake = self._wake = asyncio.Event()

        def woken() -> None:  # enqueue may run in another thread (or loop): the event is this loop's
            loop.call_soon_threadsafe(wake.set)

        self._queue.listen(woken)
        self._task = asyncio.create_task(self._run(wake), name="regapi-webhook-deliverer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._queue.listen(None)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        pending = set(self._inflight.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=STOP_GRACE)
            for attempt in late:
                attempt.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _run(self, wake: asyncio.Event) -> None:
        me = asyncio.current_task()
        while True:
            wake.clear()
            try:
                # At capacity, the end of an attempt wakes the loop (never a busy wait on what is due).
                wait = await self._until_next() if await self._fill() else self._poll
                self._unavailable = False
            except Exception as error:  # Redis away: keep trying; the deliveries wait there
                if not self._unavailable:
                    log.warning("webhook queue unavailable (%s); retrying every %gs", type(error).__name__, self._poll)
                self._unavailable = True
                wait = self._poll
            if me is not None and me.cancelling():
                # stop() cancelled it inside a Redis call that turned the cancel into an error (or swallowed
                # it): it would otherwise wait on for ever, and stop() with it.
                raise asyncio.CancelledError
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await wake.wait()

    async def _fill(self) -> bool:
        """Claims what is due, up to the free slots; whether a slot is still free."""
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            return False
        now = self._clock.now()
        for delivery in await self._queue.claim(now, free, self._lease):
            if delivery.id in self._inflight:
                continue  # its lease ran out while it is still in flight here: that attempt settles it
            tenant = delivery.event.tenant
            if self._tenants[tenant] >= self._per_tenant:
                await self._hand_back(delivery, now)
                continue
            attempt = asyncio.create_task(self._deliver(delivery))
            self._inflight[delivery.id] = attempt
            self._tenants[tenant] += 1
            attempt.add_done_callback(functools.partial(self._done, delivery.id, tenant))
        return len(self._inflight) < self._concurrency

    async def _hand_back(self, delivery: Delivery, now: datetime) -> None:
        """Its tenant has its share of the slots: due again shortly, as it was (not an attempt)."""
        delivery.next_attempt_at = now + HANDBACK
        await self._queue.settle(delivery)

    def _done(self, delivery_id: str, tenant: str, _: asyncio.Task[None]) -> None:
        self._inflight.pop(delivery_id, None)
        self._tenants[tenant] -= 1
        if self._tenants[tenant] <= 0:
            del self._tenants[tenant]
        if self._wake is not None:
            self._wake.set()

    async def _until_next(self) -> float:
        """Seconds to sleep: until the next delivery is due, at most the poll interval."""
        due = await self._queue.next_due()
        if due is None:
            return self._poll
        return min(self._poll, max(0.0, (due - self._clock.now()).total_seconds()))

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            answer = await self._attempt(delivery)
        except Exception as error:  # a fault of regapi's: still an attempt, settled and retried like any other
            log.exception("webhook delivery %s: attempt failed inside regapi", delivery.id)
            answer = Answer(None, f"internal error ({type(error).__name__})")
        except asyncio.CancelledError:  # stopping: give it back, due now, to this or another process
            delivery.next_attempt_at = self._clock.now()
            with contextlib.suppress(Exception):
                await self._queue.settle(delivery)
            raise
        outcome = self._record(delivery, answer)
        try:
            await self._queue.settle(delivery)
        except Exception as error:  # its lease runs out and it is tried again: at least once still holds
            log.warning("webhook delivery %s could not be recorded (%s)", delivery.id, type(error).__name__)
        metrics.webhook_delivery(delivery.event.tenant, delivery.event.type.value, outcome)

    def _webhook(self, delivery: Delivery) -> tuple[str, str] | None:
        """The URL and secret variable to use now: the webhook of the same URL in the tenant's current
        policy (a reload may have changed its secret variable), None when it is gone from it."""
        if self.policies is None:
            return delivery.url, delivery.secret_env
        tenant = self.policies.get(delivery.event.tenant)
        webhooks = tenant.policy.events.webhooks if tenant is not None else ()
        current = next((webhook for webhook in webhooks if webhook.url == delivery.url), None)
        return (current.url, current.secret_env) if current is not None else None

    async def _attempt(self, delivery: Delivery) -> Answer:
        webhook = self._webhook(delivery)
        if webhook is None:  # a reload removed it (or its tenant): never sent anywhere again
            return Answer(None, REMOVED, final=True)
        url, secret_env = webhook
        delivery.secret_env = secret_env
        try:
            signer = signing.secret(secret_env)
        except signing.SecretError as missing:
            return Answer(None, str(missing))
        # Real time, whatever clock the schedule keeps: the receiver checks it against its own clock.
        headers = signing.headers(delivery.event, signer, datetime.now(UTC))
        return await self._transport.post(url, delivery.event.body(), headers)

    def _record(self, delivery: Delivery, answer: Answer) -> str:
        """The attempt written into `delivery`; the metric's outcome."""
        now = self._clock.now()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = answer.status_code
        delivery.last_error = answer.error
        if answer.delivered:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DELIVERED, None
            return "delivered"
        delay = None if answer.final else self._schedule.delay(delivery.attempts)
        if delay is None:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            outcome, then = "failed", "dead letter, replayable"
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            outcome, then = "retrying", f"retry in {delay:.0f}s"
        self._failed(delivery, answer, then)
        return outcome

    def _failed(self, delivery: Delivery, answer: Answer, then: str) -> None:
        host = urlsplit(delivery.url).hostname or "-"
        fields = {
            "tenant": delivery.event.tenant,
            "type": delivery.event.type.value,
            "delivery": delivery.id,
            "host": host,
            "attempt": delivery.attempts,
            "error": answer.error,
        }
        log.warning(
            "webhook delivery failed: tenant %s, %s to %s, attempt %d of %d: %s; %s",
            delivery.event.tenant,
            delivery.event.type.value,
            host,
            delivery.attempts,
            self._schedule.attempts,
            answer.error,
            then,
            extra={FIELDS: fields},
        )
