"""What a pool sends and where: Cognito's masked delivery details (real and simulated), the outbox
message, and the codes sent with it (api.cognito.embedded.codes).

Each message is labelled with the tenant regapi stamped on the user (`custom:tenant_id`), so that
`GET /dev/outbox?tenant=` finds it; a user created without the stamp gets no tenant.
"""

from __future__ import annotations

from api.cognito.embedded import codes
from api.cognito.embedded.moto_internals import Pool, User
from api.cognito.embedded.outbox import MessageKind, OutboxMessage
from api.cognito.embedded.state import PoolRules
from api.cognito.port import mask_destination
from api.policy.model import TENANT_ATTRIBUTE

MEDIUM = {"email": "EMAIL", "phone_number": "SMS"}


def details(user: User, attribute: str | None = None, value: str | None = None) -> dict[str, str] | None:
    """CodeDeliveryDetails for the user's `attribute` (the e-mail address first, else the phone number,
    when None), or for `value`, an address the user has not been given yet."""
    for name in (attribute,) if attribute else ("email", "phone_number"):
        if address := value or user.attribute_lookup.get(name):
            return {"Destination": mask_destination(address), "DeliveryMedium": MEDIUM[name], "AttributeName": name}
    return None


def simulated(pool: Pool, username: str) -> dict[str, str]:
    """Cognito's answer for a user it hides (PreventUserExistenceErrors): a plausible delivery, its medium
    from the pool's verification settings, its destination from the name given."""
    if pool.extended_config.get("AutoVerifiedAttributes") == ["phone_number"]:
        return {"Destination": mask_destination(username), "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    return {"Destination": mask_destination(f"{username}@x"), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def send(
    rules: PoolRules,
    pool: Pool,
    user: User,
    kind: MessageKind,
    *,
    code: str | None = None,
    temporary_password: str | None = None,
    destination: str | None = None,
) -> None:
    """An outbox message to `destination` (the user's e-mail address, else phone number, when None)."""
    rules.outbox.deliver(
        OutboxMessage(
            pool_id=pool.id,
            tenant=user.attribute_lookup.get(TENANT_ATTRIBUTE),
            username=user.username,
            kind=kind,
            destination=destination
            or user.attribute_lookup.get("email")
            or user.attribute_lookup.get("phone_number")
            or "",
            sent_at=rules.clock.now(),
            code=code,
            temporary_password=temporary_password,
        )
    )


def send_code(
    rules: PoolRules,
    pool: Pool,
    user: User,
    purpose: str,
    *,
    kind: MessageKind,
    attribute: str,
    value: str | None = None,
) -> dict[str, str]:
    """Issue a code for `purpose` and send it to the user's `attribute` (or to `value`, its new value)."""
    delivery = details(user, attribute, value)
    if delivery is None:  # not reached: callers send only to an address the user has or is given
        raise ValueError(f"no {attribute} to send to")
    code = codes.issue(rules, user.username, purpose)
    send(rules, pool, user, kind, code=code, destination=value or user.attribute_lookup[attribute])
    return delivery


def issue_code(rules: PoolRules, pool: Pool, user: User) -> dict[str, str] | None:
    """Send a fresh sign-up code, replacing any earlier one, when the pool verifies the user's address."""
    delivery = details(user)
    if delivery is None or delivery["AttributeName"] not in pool.extended_config.get("AutoVerifiedAttributes", []):
        return None
    return send_code(rules, pool, user, codes.SIGN_UP, kind="SIGN_UP_CODE", attribute=delivery["AttributeName"])
