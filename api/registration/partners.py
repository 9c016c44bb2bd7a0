"""Events to partners as the use cases send them: after Cognito acted, never for a refused request, about
the user as Cognito holds it then.

A use case that has the user's record (or knows the new user's sub and attributes) hands it over; one that
has not lets this fetch it (AdminGetUser), and only when some webhook of the tenant asked for the type, so
a tenant without webhooks costs nothing. Nothing here fails or holds up the request: a lookup that fails
is one ERROR line and the delivery metric's `unqueued`, and the use case answers as it would have.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from api.cognito.port import IdentityProvider, UserRecord
from api.events.model import EventType
from api.events.publisher import UNQUEUED, EventUser, Publisher
from api.observability import metrics
from api.registration.tenancy import Target

log = logging.getLogger("regapi.events")


def event_user(user: UserRecord, *, enabled: bool | None = None, changed: Sequence[str] = ()) -> EventUser:
    """The user of an event from Cognito's record; `enabled` where the use case just changed it."""
    return EventUser(
        user.username,
        user.attributes.get("sub"),
        user.status,
        user.enabled if enabled is None else enabled,
        user.attributes,
        tuple(changed),
    )


def new_user(username: str, sub: str | None, status: str, attributes: Mapping[str, str]) -> EventUser:
    """The user a use case has just created, from what it sent and what Cognito answered."""
    return EventUser(username, sub, status, True, attributes)


class Partners:
    def __init__(self, publisher: Publisher | None, provider: IdentityProvider) -> None:
        self._publisher = publisher
        self._provider = provider

    async def tell(self, target: Target, event_type: EventType, user: EventUser | UserRecord | None = None) -> None:
        """Publish `event_type` about the target's user: `user` as given, or fetched when not."""
        # The one check of whether a webhook asked for the type: when none did, nothing is fetched or queued.
        if self._publisher is None or not self._publisher.wants(target.policy, event_type):
            return
        if user is None:
            try:
                user = await self._provider.admin_get_user(target.pool, target.username)
            except Exception as error:  # the request succeeded; only its event is lost
                log.error(
                    "event %s of tenant %s: the user could not be read (%s)",
                    event_type.value,
                    target.tenant,
                    type(error).__name__,
                )
                metrics.webhook_delivery(target.tenant, event_type.value, UNQUEUED)
                return
            if user is None:  # gone in between (deleted by another request): nothing to tell about
                return
        if isinstance(user, UserRecord):
            user = event_user(user)
        await self._publisher.publish(target.policy, event_type, user)
