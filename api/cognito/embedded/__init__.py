"""The embedded Cognito: moto's in-memory user pools plus regapi's fidelity layer and outbox."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from api.clock import Clock, SystemClock
from api.cognito.adapter import create_client
from api.cognito.embedded import fidelity
from api.cognito.embedded.outbox import Outbox, OutboxMessage
from api.cognito.embedded.provision import client_parameters, pool_parameters
from api.cognito.embedded.state import REGISTRY
from api.cognito.port import PoolBinding
from api.policy.model import Policy

REGION = "us-east-1"

_mock_lock = threading.Lock()
_mock: Any = None


def _start_mock() -> None:
    """Start moto once per process and keep it: every embedded Cognito in the process shares it."""
    global _mock  # noqa: PLW0603 - one mock per process, by design
    with _mock_lock:
        if _mock is None:
            from moto import mock_aws  # noqa: PLC0415 - moto is only imported when the embedded backend runs

            _mock = mock_aws()
            _mock.start(reset=False)
        fidelity.install()


class EmbeddedCognito:
    """User pools provisioned from the policies, with their own clock and outbox."""

    def __init__(self, *, clock: Clock | None = None, outbox: Outbox | None = None) -> None:
        _start_mock()
        self.clock = clock or SystemClock()
        self.outbox = outbox or Outbox()
        self.client = create_client(REGION)

    def attach(self, pool_id: str) -> None:
        """Let this Cognito's clock and outbox govern a pool (provisioned here, or created with boto3)."""
        REGISTRY.attach(pool_id, self.clock, self.outbox)

    def provision(self, pools: Mapping[str, Sequence[Policy]]) -> dict[str, PoolBinding]:
        """One user pool and app client per logical pool name."""
        bindings = {}
        for name, policies in pools.items():
            pool_id = self.client.create_user_pool(**pool_parameters(name, policies))["UserPool"]["Id"]
            self.attach(pool_id)
            client = self.client.create_user_pool_client(**client_parameters(pool_id, policies))["UserPoolClient"]
            bindings[name] = PoolBinding(
                name=name, user_pool_id=pool_id, client_id=client["ClientId"], client_secret=client.get("ClientSecret")
            )
        return bindings


__all__ = ["EmbeddedCognito", "Outbox", "OutboxMessage"]
