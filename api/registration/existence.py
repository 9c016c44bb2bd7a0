"""What makes the answer for an unknown or taken username look like the answer for any other: the
masked destination a code "went" to, and the time a sign-up takes. (Which answer is given is decided
by `failures.hide_existence`.)"""

from __future__ import annotations

import time

import anyio

from api.cognito.port import mask_destination
from api.registration.outcomes import Delivery, DeliveryMedium
from api.registration.sessions import SessionSealer
from api.registration.tenancy import Target

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def hidden_destination(target: Target, sealer: SessionSealer) -> Delivery:
    """Where a code "went", computed from the username alone, so it is the same whether the user
    exists, is pending or is confirmed. E-mail usernames are their own address; for plain usernames
    the letters come from a server-keyed digest, which a client cannot compute to tell the cases apart."""
    if target.policy.policy.username.kind == "email":
        return Delivery(DeliveryMedium.EMAIL, mask_destination(target.username))
    digest = sealer.fingerprint(f"{target.tenant}\0{target.username}")
    return Delivery(DeliveryMedium.EMAIL, f"{LETTERS[digest[0] % 26]}***@{LETTERS[digest[1] % 26]}***")


class SignUpTiming:
    """How long a real sign-up takes, as an exponentially weighted average (recent sign-ups weigh most,
    one slow call cannot dominate). A taken name returns before Cognito sends any e-mail, so its answer
    waits that long to keep the timing from telling."""

    def __init__(self, initial: float = 0.05, weight: float = 0.1) -> None:
        self.value = initial
        self._weight = weight

    def add(self, sample: float) -> None:
        self.value += self._weight * (min(sample, 10 * self.value + 0.01) - self.value)

    async def pad(self, started: float) -> None:
        await anyio.sleep(max(0.0, self.value - (time.monotonic() - started)))
