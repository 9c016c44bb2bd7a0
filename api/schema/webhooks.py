"""The admin API of events to partners: the tenant's webhook deliveries and the replay of a dead letter.
Types and payloads together, exported to schema.graphql. Never rename. Never the body or the secret: a
delivery says where it went and how its attempts ended."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import strawberry

from api.registration import WebhookDelivery, WebhookDeliveryStatus
from api.schema import types as t

strawberry.enum(WebhookDeliveryStatus, name="WebhookDeliveryStatus")


@strawberry.type(name="WebhookDelivery", description="One event sent to one webhook of the tenant, and how it went.")
class WebhookDeliveryType:
    id: strawberry.ID = strawberry.field(description="The delivery's id: replayWebhookDelivery takes it.")
    event_id: strawberry.ID = strawberry.field(
        description="The event's id, the `webhook-id` header of every attempt (the same for each webhook)."
    )
    type: str = strawberry.field(description="The event type, as the body's `type` gives it: user.confirmed, ...")
    url: str  # scheme://host[:port]/path only (shown_url)
    status: WebhookDeliveryStatus
    attempts: int = strawberry.field(description="Attempts made in the current round (a replay starts one).")
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(description="When the next attempt is due (PENDING only).")
    last_status_code: int | None = strawberry.field(description="The receiver's HTTP status; null: no answer.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed: timeout, HTTP 500, ...")


@strawberry.input
class ReplayWebhookDeliveryInput:
    tenant: strawberry.ID
    id: strawberry.ID = strawberry.field(description="A FAILED delivery's id (webhookDeliveries lists them).")


@strawberry.type
class ReplayWebhookDeliverySuccess:
    delivery: WebhookDeliveryType


ReplayWebhookDeliveryResult = Annotated[
    ReplayWebhookDeliverySuccess | t.RegistrationError, strawberry.union("ReplayWebhookDeliveryResult")
]


def shown_url(url: str) -> str:
    """scheme://host[:port]/path of a webhook's URL: a query or userinfo may hold the partner's token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:  # not a port: nothing of it is shown
        port = ""
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def delivery(value: WebhookDelivery) -> WebhookDeliveryType:
    pending = value.status is WebhookDeliveryStatus.PENDING
    return WebhookDeliveryType(
        id=strawberry.ID(value.id),
        event_id=strawberry.ID(value.event.id),
        type=value.event.type.value,
        url=shown_url(value.url),
        status=value.status,
        attempts=value.attempts,
        last_attempt_at=value.last_attempt_at,
        next_attempt_at=value.next_attempt_at if pending else None,
        last_status_code=value.last_status_code,
        last_error=value.last_error,
    )


def replayed(value: WebhookDelivery) -> ReplayWebhookDeliverySuccess:
    return ReplayWebhookDeliverySuccess(delivery=delivery(value))
