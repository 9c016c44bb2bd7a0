"""What a pool sends and where: Cognito's masked delivery details, the outbox message, and the sign-up
code it replaces on every send.

Each message is labelled with the tenant regapi stamped on the user (`custom:tenant_id`), so that
`GET /dev/outbox?tenant=` finds it; a user created without the stamp gets no tenant.
"""

from __future__ import annotations

import secrets

from api.cognito.embedded.moto_internals import Pool, User
from api.cognito.embedded.outbox import MessageKind, OutboxMessage
from api.cognito.embedded.state import IssuedCode, PoolRules
from api.cognito.port import mask_destination
from api.policy.model import TENANT_ATTRIBUTE


def details(user: User) -> dict[str, str] | None:
    """CodeDeliveryDetails for the user's address: the e-mail address first, else the phone number."""
    if email := user.attribute_lookup.get("email"):
        return {"Destination": mask_destination(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    if phone := user.attribute_lookup.get("phone_number"):
        return {"Destination": mask_destination(phone), "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    return None


def send(
    rules: PoolRules,
    pool: Pool,
    user: User,
    kind: MessageKind,
    *,
    code: str | None = None,
    temporary_password: str | None = None,
) -> None:
    rules.outbox.deliver(
        OutboxMessage(
            pool_id=pool.id,
            tenant=user.attribute_lookup.get(TENANT_ATTRIBUTE),
            username=user.username,
            kind=kind,
            destination=user.attribute_lookup.get("email") or user.attribute_lookup.get("phone_number") or "",
            sent_at=rules.clock.now(),
            code=code,
            temporary_password=temporary_password,
        )
    )


def issue_code(rules: PoolRules, pool: Pool, user: User) -> dict[str, str] | None:
    """Send a fresh code, replacing any earlier one, when the pool verifies the user's address."""
    delivery = details(user)
    if delivery is None or delivery["AttributeName"] not in pool.extended_config.get("AutoVerifiedAttributes", []):
        return None
    code = f"{secrets.randbelow(1_000_000):06d}"
    with rules.lock:
        previous = rules.codes.get(user.username)
        fresh = IssuedCode(code, rules.clock.now())
        if previous is not None and previous.locked_until is not None:
            # A resend must not lift a lock, or it would reset the guessing budget.
            fresh.failures, fresh.locked_until = previous.failures, previous.locked_until
        rules.codes[user.username] = fresh
    send(rules, pool, user, "SIGN_UP_CODE", code=code)
    return delivery
