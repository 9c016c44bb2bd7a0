"""The tenant's webhook deliveries as its administrator sees them (API key or admin token): the listing,
dead letters included, and the replay of one that failed for good. Never a body or a secret: the listing
says where each delivery went and how its attempts ended."""

from __future__ import annotations

from api.events.model import Delivery, DeliveryStatus
from api.events.queue import DeliveryQueue
from api.observability import audit
from api.registration import requests as rq
from api.registration.credentials import Administrators
from api.registration.failures import NO_FAILED_DELIVERY, refuse

# The most deliveries one answer lists, newest first.
MAX_LISTED = 100


class WebhookDeliveries:
    def __init__(self, admins: Administrators, queue: DeliveryQueue | None) -> None:
        self._admins = admins
        self._queue = queue  # None: this server sends no events

    async def deliveries(self, tenant: str, status: DeliveryStatus | None, caller: rq.Caller) -> list[Delivery]:
        target = await self._admins.target(tenant, "", caller)
        if self._queue is None:
            return []
        return await self._queue.deliveries(target.tenant, status, MAX_LISTED)

    async def replay(self, tenant: str, delivery_id: str, caller: rq.Caller) -> Delivery:
        """A dead letter sent again, due now, with a new round of attempts under the same `webhook-id`."""
        target = await self._admins.target(tenant, "", caller)
        replayed = await self._queue.replay(target.tenant, delivery_id) if self._queue is not None else None
        if replayed is None:
            refuse(NO_FAILED_DELIVERY)
        audit.event("admin_action", action="webhook_delivery_replayed", delivery=replayed.id)
        return replayed
