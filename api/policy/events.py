"""The event types a tenant's webhooks may ask for (DESIGN.md section 9): the partners' contract, so one
list, here, for the policy's validation, the events the use cases emit and the GraphQL enum."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    USER_INVITED = "user.invited"
    USER_SIGNED_UP = "user.signed_up"  # the address is not proven yet: see the event's `status`
    USER_CONFIRMED = "user.confirmed"
    USER_APPROVED = "user.approved"
    USER_REJECTED = "user.rejected"
    USER_FIRST_SIGN_IN_COMPLETED = "user.first_sign_in_completed"  # an invitation taken
    USER_ATTRIBUTES_UPDATED = "user.attributes_updated"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_DELETED = "user.deleted"
