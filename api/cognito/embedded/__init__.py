"""The embedded Cognito: moto's in-memory user pools plus regapi's fidelity layer and outbox."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from api.clock import Clock, SystemClock
from api.cognito.adapter import create_client
from api.cognito.embedded import discovery, handlers, signing
from api.cognito.embedded.outbox import Outbox, OutboxMessage
from api.cognito.embedded.state import REGISTRY
from api.cognito.port import PoolBinding

if TYPE_CHECKING:
    from starlette.routing import Route

REGION = "us-east-1"

log = logging.getLogger("regapi.cognito.embedded")

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
    """User pools provisioned from the policies, with their own clock and outbox. Given the URL of the API
    serving it, its pools issue tokens for `<api_url>/dev/cognito/<pool id>`, where `routes` serve their
    key sets; without one, for moto's AWS form (in tests that use no API)."""

    def __init__(self, *, clock: Clock | None = None, outbox: Outbox | None = None, api_url: str | None = None) -> None:
        _start_mock()
        self.clock = clock or SystemClock()
        self.outbox = outbox or Outbox()
        self.client = create_client(REGION)
        self.issuer_base = None if api_url is None else f"{api_url}{discovery.PREFIX}"
        self._pools: set[str] = set()
        # Pool id -> its name and app client, of the pools provisioned here: what GET /dev/cognito lists.
        self._provisioned: dict[str, tuple[str, str]] = {}

    def attach(self, pool_id: str) -> None:
        """Let this Cognito's clock, outbox and issuer govern a pool (provisioned here, or created with boto3)."""
        REGISTRY.attach(pool_id, self.clock, self.outbox, self.issuer_base)
        self._pools.add(pool_id)

    def issuer(self, pool_id: str) -> str:
        """The `iss` of the pool's tokens (moto's AWS form where this Cognito has no address)."""
        return REGISTRY.rules(pool_id).issuer or f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"

    def routes(self) -> list[Route]:
        """The API's routes serving its pools' key sets and discovery documents at their issuers (404 for
        any other pool: another app's in the process, or one issuing in AWS's form), and listing them."""
        return discovery.routes(
            lambda pool_id: REGISTRY.rules(pool_id).issuer if pool_id in self._pools else None, self.pools
        )

    def pools(self) -> list[dict[str, str]]:
        """The pools provisioned here, with what a backend verifying their tokens is configured with."""
        return [
            {"pool": name, "userPoolId": pool_id, "clientId": client_id, "issuer": self.issuer(pool_id)}
            for pool_id, (name, client_id) in sorted(self._provisioned.items(), key=lambda item: item[1])
        ]

    def create_pool(self, pool: Mapping[str, Any], client: Mapping[str, Any], name: str) -> PoolBinding:
        """A user pool and its app client, from CreateUserPool and CreateUserPoolClient parameters."""
        pool_id = self.client.create_user_pool(**pool)["UserPool"]["Id"]
        self.attach(pool_id)
        created = self.client.create_user_pool_client(UserPoolId=pool_id, **client)["UserPoolClient"]
        # A backend verifying this pool's tokens needs the issuer and the app client's id (no secret).
        self._provisioned[pool_id] = (name, created["ClientId"])
        log.info(
            "embedded pool %s: id %s, app client %s, issuer %s",
            name,
            pool_id,
            created["ClientId"],
            self.issuer(pool_id),
        )
        return PoolBinding(
            name=name, user_pool_id=pool_id, client_id=created["ClientId"], client_secret=created.get("ClientSecret")
        )

    def update_pool(
        self, binding: PoolBinding, pool: Mapping[str, Any], client: Mapping[str, Any] | None = None
    ) -> None:
        """Apply changed CreateUserPool parameters (the updatable settings, and any new custom attribute) and
        CreateUserPoolClient ones (what the client may write changes with the policies)."""
        updatable = (
            "Policies",
            "AdminCreateUserConfig",
            "AutoVerifiedAttributes",
            "AccountRecoverySetting",
            "UserAttributeUpdateSettings",
        )
        self.client.update_user_pool(UserPoolId=binding.user_pool_id, **{k: pool[k] for k in updatable if k in pool})
        described = self.client.describe_user_pool(UserPoolId=binding.user_pool_id)["UserPool"]
        existing = {a["Name"] for a in described.get("SchemaAttributes", [])}
        # Standard attributes are always in the schema; a name not found with or without the prefix is new.
        custom = [
            a for a in pool.get("Schema", []) if a["Name"] not in existing and f"custom:{a['Name']}" not in existing
        ]
        if custom:
            self.client.add_custom_attributes(UserPoolId=binding.user_pool_id, CustomAttributes=custom)
        if client is not None:
            # Every setting, not only the changed ones: UpdateUserPoolClient resets what it is not given.
            settings = {k: v for k, v in client.items() if k != "GenerateSecret"}
            self.client.update_user_pool_client(UserPoolId=binding.user_pool_id, ClientId=binding.client_id, **settings)


class EmbeddedKeySource:
    """The embedded pools' issuers and signing key (one key pair per process, api.cognito.embedded.signing):
    what a backend fetches from the pool's discovery document and key set, read here directly."""

    def __init__(self, cognito: EmbeddedCognito) -> None:
        self._cognito = cognito

    def issuer(self, pool: PoolBinding) -> str:
        return self._cognito.issuer(pool.user_pool_id)

    async def jwks(self, pool: PoolBinding, *, refresh: bool = False) -> Mapping[str, Any]:
        return signing.key_set()


__all__ = ["EmbeddedCognito", "EmbeddedKeySource", "Outbox", "OutboxMessage"]
