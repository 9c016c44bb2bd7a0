"""An event, and one delivery of it to one webhook: the shapes the publisher (api.events.publisher), the
queue (api.events.queue) and the deliverer (api.events.delivery) share.

One event (one `id`, the Standard Webhooks `webhook-id`) goes to each webhook of the tenant that asked
for its type, as one `Delivery` each, with the attributes that webhook may read; every retry of a
delivery sends the same id, timestamp and body, so a partner can drop duplicates by `webhook-id`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from api.policy.events import EventType

__all__ = ["Delivery", "DeliveryStatus", "Event", "EventType"]


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its first attempt or a retry
    DELIVERED = "DELIVERED"  # a 2xx answer
    FAILED = "FAILED"  # every attempt failed: the dead-letter list, replayable


@dataclass(frozen=True, slots=True)
class Event:
    id: str  # "msg_" + 32 hex digits
    type: EventType
    tenant: str
    timestamp: datetime  # when regapi made it (UTC); the body's `timestamp`
    data: dict[str, Any]  # tenant, username, sub, status, attributes, revision, request_id

    def body(self) -> bytes:
        """The JSON body every attempt sends, byte for byte (the signature covers it)."""
        document = {"type": self.type.value, "timestamp": self.timestamp.isoformat(), "data": self.data}
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(slots=True)
class Delivery:
    """One event to one webhook, and how its attempts went."""

    id: str  # the delivery's own id (the event's id and the webhook's position)
    event: Event
    url: str
    secret_env: str  # the name of the variable holding the webhook's secret; the secret itself is never kept
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None  # the receiver's HTTP status, None when there was no answer
    last_error: str | None = None  # "timeout", "connection refused", "HTTP 500", ...: never the answer's body
