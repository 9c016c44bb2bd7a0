"""The embedded Cognito: moto's in-memory user pools plus regapi's fidelity layer and outbox."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from api.clock import Clock, SystemClock
from api.cognito.adapter import create_client
from api.cognito.embedded import handlers, moto_internals
from api.cognito.embedded.outbox import Outbox, OutboxMessage
from api.cognito.embedded.state import REGISTRY
from api.cognito.port import PoolBinding

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
        handlers.install()


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

    def create_pool(self, pool: Mapping[str, Any], client: Mapping[str, Any], name: str) -> PoolBinding:
        """A user pool and its app client, from CreateUserPool and CreateUserPoolClient parameters."""
        pool_id = self.client.create_user_pool(**pool)["UserPool"]["Id"]
        self.attach(pool_id)
        created = self.client.create_user_pool_client(UserPoolId=pool_id, **client)["UserPoolClient"]
        return PoolBinding(
            name=name, user_pool_id=pool_id, client_id=created["ClientId"], client_secret=created.get("ClientSecret")
        )

    def update_pool(self, binding: PoolBinding, pool: Mapping[str, Any]) -> None:
        """Apply changed CreateUserPool parameters: the updatable settings, and any new custom attribute."""
        updatable = ("Policies", "AdminCreateUserConfig", "AutoVerifiedAttributes", "AccountRecoverySetting")
        self.client.update_user_pool(UserPoolId=binding.user_pool_id, **{k: pool[k] for k in updatable if k in pool})
        described = self.client.describe_user_pool(UserPoolId=binding.user_pool_id)["UserPool"]
        existing = {a["Name"] for a in described.get("SchemaAttributes", [])}
        # Standard attributes are always in the schema; a name not found with or without the prefix is new.
        custom = [
            a for a in pool.get("Schema", []) if a["Name"] not in existing and f"custom:{a['Name']}" not in existing
        ]
        if custom:
            self.client.add_custom_attributes(UserPoolId=binding.user_pool_id, CustomAttributes=custom)


class EmbeddedKeySource:
    """The embedded pools' signing keys: moto signs every token with one key pair it ships."""

    def issuer(self, pool: PoolBinding) -> str:
        return f"https://cognito-idp.{REGION}.amazonaws.com/{pool.user_pool_id}"

    async def jwks(self, pool: PoolBinding, *, refresh: bool = False) -> Mapping[str, Any]:
        return moto_internals.signing_keys()


__all__ = ["EmbeddedCognito", "EmbeddedKeySource", "Outbox", "OutboxMessage"]
