"""The publisher: a use case's "this happened to this user" turned into one delivery per webhook of the
tenant that asked for the event's type, queued for the deliverer (api.events.delivery).

One event has one id ("msg_" + 32 hex digits, the `webhook-id` of every attempt) for all its webhooks;
each webhook's body carries only the attributes that webhook lists (`events.webhooks[].attributes`), so
regapi's stamps (`custom:tenant_id`, `custom:origin`) and any attribute nobody listed never leave.

Publishing never fails the request that caused the event, and never holds it up for long: the memory
queue takes the deliveries at once and Redis in one round trip (a stalled Redis: 0.3 s, then this
process's memory, api.events.fallback), bounded by `timeout`; a queue that refuses or is slow costs one
ERROR line and the metric (outcome `unqueued`), and the request goes on.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from api.clock import Clock, SystemClock
from api.events.model import Delivery, Event, EventType
from api.observability import metrics, scope
from api.policy import TenantPolicy
from api.policy.model import Webhook

log = logging.getLogger("regapi.events")

# Seconds the request may wait for the queue at most: the Redis queue gives up sooner (api.events.fallback)
# and keeps the deliveries in memory; this bounds any other queue.
ENQUEUE_TIMEOUT = 1.0
UNQUEUED = "unqueued"  # the metric's outcome for deliveries that never reached the queue


class Queue(Protocol):
    """What the publisher needs of the delivery queue (api.events.queue.DeliveryQueue)."""

    async def enqueue(self, deliveries: Sequence[Delivery]) -> None: ...


@dataclass(frozen=True, slots=True)
class EventUser:
    """The user an event is about, as Cognito holds it after the use case acted."""

    username: str
    sub: str | None
    status: str  # Cognito's UserStatus name: a `user.signed_up` is UNCONFIRMED, its address not proven
    enabled: bool  # false for a sign-up awaiting approval and a disabled user
    attributes: Mapping[str, str]
    # user.attributes_updated: the names of the attributes the request changed
    changed: Sequence[str] = ()


def wants(policy: TenantPolicy, event_type: EventType) -> bool:
    """Whether some webhook of the tenant asked for this type: when none did, a use case fetches nothing."""
    webhooks = policy.policy.events.webhooks
    return bool(webhooks) and any(event_type in webhook.events for webhook in webhooks)


def event_data(policy: TenantPolicy, webhook: Webhook, user: EventUser, request_id: str | None) -> dict[str, Any]:
    """The body's `data` for one webhook: the user, with only the attributes this webhook lists."""
    readable = webhook.attributes
    data: dict[str, Any] = {
        "tenant": policy.tenant,
        "username": user.username,
        "sub": user.sub,
        "status": user.status,
        "enabled": user.enabled,
        "attributes": {name: user.attributes[name] for name in readable if name in user.attributes},
        "revision": policy.revision,
        "request_id": request_id,
    }
    if user.changed:
        data["changed"] = [name for name in user.changed if name in readable]
    return data


class Publisher:
    def __init__(self, queue: Queue, *, clock: Clock | None = None, timeout: float = ENQUEUE_TIMEOUT) -> None:
        self._queue = queue
        # Real time, not a test's manual clock: the body's timestamp says when it happened.
        self._clock = clock or SystemClock()
        self._timeout = timeout

    def wants(self, policy: TenantPolicy, event_type: EventType) -> bool:
        return wants(policy, event_type)

    def deliveries(self, policy: TenantPolicy, event_type: EventType, user: EventUser) -> list[Delivery]:
        """One delivery per webhook asking for `type`, all of one event id."""
        event_id = f"msg_{uuid.uuid4().hex}"
        now = self._clock.now()
        current = scope.current()
        request_id = current.request_id if current is not None else None
        return [
            Delivery(
                id=f"{event_id}.{index}",  # the webhook's position in the policy file
                event=Event(event_id, event_type, policy.tenant, now, event_data(policy, webhook, user, request_id)),
                url=webhook.url,
                secret_env=webhook.secret_env,
                next_attempt_at=now,
            )
            for index, webhook in enumerate(policy.policy.events.webhooks)
            if event_type in webhook.events
        ]

    async def publish(self, policy: TenantPolicy, event_type: EventType, user: EventUser) -> None:
        """Queue the event for every webhook that asked for it (none: nothing is queued; the caller asked
        `wants` before fetching the user); never raises into the use case."""
        deliveries: list[Delivery] = []
        try:
            deliveries = self.deliveries(policy, event_type, user)
            if not deliveries:
                return
            await asyncio.wait_for(self._queue.enqueue(deliveries), self._timeout)
        except Exception as error:  # the user's request succeeded at Cognito: it must still answer so
            reason = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
            log.error("event %s of tenant %s could not be queued (%s)", event_type.value, policy.tenant, reason)
            for _ in range(max(1, len(deliveries))):
                metrics.webhook_delivery(policy.tenant, event_type.value, UNQUEUED)
