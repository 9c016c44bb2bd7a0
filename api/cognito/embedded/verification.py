"""Changing a user's attributes after creation, and verifying a changed e-mail address or phone number:
what UpdateUserAttributes and AdminUpdateUserAttributes share, and VerifyUserAttribute's code.

Developer Guide, verifying when users change their email or phone number: a changed address is marked
unverified and, when the pool verifies that attribute automatically, a code (VERIFICATION_CODE in the
outbox) goes to the new address. With UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate
naming it, the value does not change until the code is verified (API Reference,
UserAttributeUpdateSettingsType). An administrator setting `<attribute>_verified` to true in the same
request vouches for the address: no code is sent (API Reference, AdminUpdateUserAttributes). A blank
value deletes the attribute (API Reference, UpdateUserAttributes). moto does none of this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from api.cognito.embedded import attributes, codes
from api.cognito.embedded.delivery import send_code
from api.cognito.embedded.lookups import check_email_unused
from api.cognito.embedded.moto_internals import Backend, InvalidParameterException, Pool, User
from api.cognito.embedded.state import REGISTRY

VERIFIABLE = {"email": "email_verified", "phone_number": "phone_number_verified"}


def _before_update(pool: Pool) -> list[str]:
    settings = pool.extended_config.get("UserAttributeUpdateSettings") or {}
    names: list[str] = settings.get("AttributesRequireVerificationBeforeUpdate") or []
    return names


def update(backend: Backend, pool: Pool, user: User, given: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Apply attributes the caller's checks passed; the delivery details of every verification code sent."""
    values = {a["Name"]: a.get("Value", "") for a in given}
    attributes.check_update(pool, [{"Name": k, "Value": v} for k, v in values.items()])
    auto = pool.extended_config.get("AutoVerifiedAttributes") or []
    pending: dict[str, str] = {}
    to_verify: list[str] = []
    for name, flag in VERIFIABLE.items():
        new = values.get(name)
        if not new or new == user.attribute_lookup.get(name) or values.get(flag) == "true":
            continue
        if name in auto and name in _before_update(pool) and user.attribute_lookup.get(name):
            pending[name] = values.pop(name)  # the old value stays, and signs in, until the new one is verified
        else:
            values[flag] = "false"
        if name in auto:
            to_verify.append(name)
    if values.get("email") != user.attribute_lookup.get("email"):  # a user's own address is no other's alias
        check_email_unused(backend, pool.id, values.get("email"))
    blank = [name for name, value in values.items() if value == "" and name in user.attribute_lookup]
    if missing := [name for name in blank if name in attributes.missing_required(pool, {})]:
        raise InvalidParameterException(
            "Invalid user attributes: " + "".join(f"user.{n}: The attribute is required\n" for n in missing)
        )
    kept = [{"Name": k, "Value": v} for k, v in values.items() if v != ""]
    if kept:
        user.update_attributes(kept)
    if blank:
        user.delete_attributes(blank)
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        mine = rules.pending.setdefault(user.username, {})
        for name in VERIFIABLE:  # a value set now, or a newer pending one, replaces what waited
            if name in values or name in pending:
                mine.pop(name, None)
        mine.update(pending)
        if not mine:
            del rules.pending[user.username]
    return [send_verification(pool, user, name) for name in to_verify]


def send_verification(pool: Pool, user: User, attribute: str) -> dict[str, str]:
    """A verification code for the attribute, to its pending value if it has one, else its value."""
    rules = REGISTRY.rules(pool.id)
    with rules.lock:
        value = rules.pending.get(user.username, {}).get(attribute)
    purpose = codes.verifying(attribute)
    return send_code(rules, pool, user, purpose, kind="VERIFICATION_CODE", attribute=attribute, value=value)


def check_verifiable(user: User, attribute: str) -> None:
    """Only an e-mail address or phone number the user has, or is changing to, is verified by a code."""
    rules = REGISTRY.rules(user.user_pool_id)
    with rules.lock:
        pending = attribute in rules.pending.get(user.username, {})
    if attribute not in VERIFIABLE or not (pending or user.attribute_lookup.get(attribute)):
        raise InvalidParameterException(f"Invalid attribute name: {attribute} cannot be verified")


def verify(backend: Backend, pool: Pool, user: User, attribute: str, code: object) -> None:
    """VerifyUserAttribute: spend the code; the attribute (its pending value, if any) becomes verified."""
    check_verifiable(user, attribute)
    rules = REGISTRY.rules(pool.id)
    codes.redeem(rules, user.username, codes.verifying(attribute), code)
    with rules.lock:
        pending = rules.pending.get(user.username, {}).pop(attribute, None)
        if rules.pending.get(user.username) == {}:
            del rules.pending[user.username]
    changes = {VERIFIABLE[attribute]: "true"}
    if pending is not None:
        if attribute == "email":
            check_email_unused(backend, pool.id, pending)
        changes[attribute] = pending
    user.update_attributes([{"Name": k, "Value": v} for k, v in changes.items()])
