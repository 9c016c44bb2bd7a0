"""The Standard Webhooks headers of one attempt, so any partner verifies it with an off-the-shelf library.

`webhook-id` is the event's id, the same on every retry (partners drop duplicates by it); the body is the
same bytes on every retry; `webhook-timestamp` is the attempt's own time, because receivers refuse old
timestamps (the reference verifier: five minutes either way), so a retry hours later carries a fresh one
and a fresh signature over "id.timestamp.body". The secret is read from the environment at each attempt
(a rotated variable counts from the next attempt on) and never kept, logged or put in an error.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from api.events.model import Event

CONTENT_TYPE = "application/json"
USER_AGENT = "regapi-webhooks/1"


class SecretError(Exception):
    """The webhook's secret variable is unset or not a Standard Webhooks secret; the message names the
    variable, never its value."""


SECRET_PREFIX = "whsec_"
# The Standard Webhooks specification's bounds for a secret's key, in bytes.
SECRET_BYTES = (24, 64)


def secret_problem(value: str | None) -> str | None:
    """What is wrong with a variable's value as a Standard Webhooks secret, or None: the one rule, for the
    policy's admission (load time) and the deliverer (each attempt). Never quotes the value."""
    if not value:
        return "is not set"
    if not value.startswith(SECRET_PREFIX):
        return f"does not hold a Standard Webhooks secret (one starts with {SECRET_PREFIX})"
    encoded = value[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return f"holds a secret that is not base64 after {SECRET_PREFIX}"
    low, high = SECRET_BYTES
    if not low <= len(key) <= high:
        return f"holds a key of {len(key)} bytes; Standard Webhooks keys have {low} to {high}"
    return None


def secret(variable: str, environ: Mapping[str, str] = os.environ) -> Webhook:
    """The signer for the secret in `variable`, read now."""
    value = environ.get(variable, "")
    if (problem := secret_problem(value)) is not None:
        raise SecretError(f"secret variable {variable} {problem}")
    try:
        return Webhook(value)
    except (binascii.Error, ValueError, EmptyWebhookSecretError):  # the rule above let it by: still never sent
        raise SecretError(f"secret variable {variable} holds no Standard Webhooks secret") from None


def headers(event: Event, signer: Webhook, at: datetime) -> dict[str, str]:
    """The headers of an attempt made at `at` (an aware datetime) sending `event.body()`."""
    at = at.astimezone(UTC)
    signature = signer.sign(event.id, at, event.body().decode())
    return {
        "webhook-id": event.id,
        "webhook-timestamp": str(math.floor(at.timestamp())),  # what sign() signed, to the second
        "webhook-signature": signature,
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
    }
