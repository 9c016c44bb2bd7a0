"""The delivery queue: what the publisher and the admin API use (`DeliveryQueue`), what the deliverer uses
on top of it (`WorkQueue`), and the queue of one process (`MemoryQueue`, lost on restart; api.events.
redis_queue is the one that survives it and is shared).

A claim is a lease: the claimed deliveries are due again at `now + lease`, so a deliverer that dies in the
middle of an attempt leaves its deliveries to be retried once the lease is over; the settle of an attempt
writes only while the claim still holds (a stale deliverer never overwrites a newer attempt's result).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from api.clock import Clock, SystemClock
from api.events.model import Delivery, DeliveryStatus

# The deliveries a tenant's listing keeps (newest first): older ones leave it, pending ones still go out.
KEEP_PER_TENANT = 1000
# How long a settled delivery stays readable: long enough to look back at a week, and for a dead letter to
# be noticed and replayed.
DELIVERED_KEPT = timedelta(days=7)
FAILED_KEPT = timedelta(days=30)


class DeliveryQueue(Protocol):
    """What the publisher (enqueue) and the admin API (the listing and replay) use."""

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        """Store them PENDING, due now, and wake this process's deliverer."""
        ...

    async def deliveries(self, tenant: str, status: DeliveryStatus | None, limit: int = 100) -> list[Delivery]:
        """A tenant's deliveries, newest first; only those of `status` when given."""
        ...

    async def replay(self, tenant: str, delivery_id: str) -> Delivery | None:
        """A FAILED delivery of `tenant` made PENDING and due now, with a new round of attempts; None when it
        is not one (unknown, another tenant's, or not FAILED)."""
        ...


class WorkQueue(DeliveryQueue, Protocol):
    """The deliverer's side (api.events.delivery)."""

    def listen(self, wake: Callable[[], None] | None) -> None:
        """`wake` is called on every enqueue and replay made in this process (it must be thread-safe)."""
        ...

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """At most `limit` deliveries due at `now`, each held for `lease` (due again after it)."""
        ...

    async def settle(self, delivery: Delivery) -> None:
        """Write back what an attempt did: PENDING with its `next_attempt_at`, DELIVERED or FAILED. Ignored
        when the claim was lost (its lease ran out and another claim took the delivery)."""
        ...

    async def next_due(self) -> datetime | None:
        """When the earliest pending delivery is due (a claimed one: when its lease ends)."""
        ...

    async def close(self) -> None: ...


def copied(delivery: Delivery) -> Delivery:
    """A copy the caller may change: the queue's own record changes only through its methods."""
    return dataclasses.replace(delivery)


def replayed(delivery: Delivery, now: datetime) -> Delivery:
    """A dead letter given a new round of attempts, due now; its last answer stays until the next one."""
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    return delivery


class MemoryQueue:
    """The queue of one process. Each method runs without awaiting, under a lock (enqueue may come from a
    thread), so every step is atomic."""

    def __init__(self, clock: Clock | None = None, *, keep_per_tenant: int = KEEP_PER_TENANT) -> None:
        self._clock = clock or SystemClock()
        self._keep = keep_per_tenant
        self._records: dict[str, Delivery] = {}
        self._tenants: dict[str, OrderedDict[str, None]] = {}  # each tenant's ids, oldest first
        self._due: dict[str, datetime] = {}  # the PENDING ones (claimed ones: when their lease ends)
        self._leases: dict[str, datetime] = {}  # claimed and not settled yet
        self._wake: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def listen(self, wake: Callable[[], None] | None) -> None:
        self._wake = wake

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        now = self._clock.now()
        with self._lock:
            for delivery in deliveries:
                record = copied(delivery)
                record.status, record.next_attempt_at = DeliveryStatus.PENDING, now
                self._records[record.id] = record
                self._due[record.id] = now
                listing = self._tenants.setdefault(record.event.tenant, OrderedDict())
                listing[record.id] = None
                self._forget_old(listing, now)
        self._woken()

    async def deliveries(self, tenant: str, status: DeliveryStatus | None, limit: int = 100) -> list[Delivery]:
        with self._lock:
            self._forget_old(self._tenants.get(tenant, OrderedDict()), self._clock.now())
            found = []
            for delivery_id in reversed(self._tenants.get(tenant, OrderedDict())):
                record = self._records.get(delivery_id)
                if record is not None and (status is None or record.status == status):
                    found.append(copied(record))
                    if len(found) >= limit:
                        break
            return found

    async def replay(self, tenant: str, delivery_id: str) -> Delivery | None:
        now = self._clock.now()
        with self._lock:
            record = self._records.get(delivery_id)
            if record is None or record.event.tenant != tenant or record.status != DeliveryStatus.FAILED:
                return None
            replayed(record, now)
            self._due[delivery_id] = now
            answer = copied(record)
        self._woken()
        return answer

    async def claim(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        with self._lock:
            # One process: a delivery in flight is never claimed again, even when a test's clock jumps
            # past its lease.
            due = sorted((at, i) for i, at in self._due.items() if at <= now and i not in self._leases)[:limit]
            claimed = []
            for _, delivery_id in due:
                self._due[delivery_id] = self._leases[delivery_id] = now + lease
                claimed.append(copied(self._records[delivery_id]))
            return claimed

    def holds(self, delivery_id: str) -> bool:
        """Whether a claim of this queue holds the delivery (its settle is this queue's)."""
        with self._lock:
            return delivery_id in self._leases

    async def settle(self, delivery: Delivery) -> None:
        with self._lock:
            if self._leases.pop(delivery.id, None) is None or delivery.id not in self._records:
                return
            record = self._records[delivery.id] = copied(delivery)
            if record.status == DeliveryStatus.PENDING and record.next_attempt_at is not None:
                self._due[record.id] = record.next_attempt_at
            else:
                self._due.pop(record.id, None)
                if record.id not in self._tenants.get(record.event.tenant, ()):  # already left the listing
                    del self._records[record.id]

    async def next_due(self) -> datetime | None:
        with self._lock:  # those in flight are settled by their attempt, whatever a test's clock says
            return min((at for i, at in self._due.items() if i not in self._leases), default=None)

    async def close(self) -> None:
        self._wake = None

    def _forget_old(self, listing: OrderedDict[str, None], now: datetime) -> None:
        """Drop the settled deliveries past their time, and the oldest beyond the tenant's bound (a pending
        one leaves the listing only: it is still delivered, then forgotten)."""
        while listing:
            delivery_id = next(iter(listing))
            record = self._records.get(delivery_id)
            if record is not None and len(listing) <= self._keep and not self._expired(record, now):
                return  # oldest first: the rest are newer
            del listing[delivery_id]
            if record is not None and record.status != DeliveryStatus.PENDING:
                del self._records[delivery_id]

    @staticmethod
    def _expired(record: Delivery, now: datetime) -> bool:
        kept = {DeliveryStatus.DELIVERED: DELIVERED_KEPT, DeliveryStatus.FAILED: FAILED_KEPT}.get(record.status)
        settled = record.last_attempt_at
        return kept is not None and settled is not None and now - settled > kept

    def _woken(self) -> None:
        wake = self._wake
        if wake is not None:
            wake()
