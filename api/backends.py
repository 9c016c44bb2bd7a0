"""The Cognito client, pool binder and key source of each backend, built in one place for the app and the CLI.

embedded: moto in this process with regapi's fidelity layer; pools created from the policies; tokens
signed by a key pair of the process, for issuers under the API's own address (`/dev/cognito`).
aws: real Cognito or a compatible endpoint (`Settings.region`, `Settings.cognito_endpoint`); pools that
exist already, named by id in the policies, with the client secrets read from the environment; signing
keys fetched from each pool's JWKS URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from api.clock import Clock
from api.cognito.adapter import CognitoAdapter, create_client, describe_pool
from api.cognito.budget import CallBudget
from api.cognito.keys import HttpKeySource
from api.cognito.port import KeySource
from api.cognito.quotas import Quotas, UnknownCategoryError
from api.cognito.quotas import build as build_quotas
from api.pools import ConfigurationError, ConfiguredPools, EmbeddedPools, PoolBinder
from api.settings import Settings

if TYPE_CHECKING:
    from api.cognito.embedded import EmbeddedCognito


@dataclass(frozen=True, slots=True)
class Backend:
    client: Any  # the process's one cognito-idp client (boto3)
    provider: CognitoAdapter
    binder: PoolBinder
    keys: KeySource
    # The in-process Cognito itself, for GET /dev/outbox: the embedded backend only.
    embedded: EmbeddedCognito | None = None
    # The buckets of Cognito's quotas that the provider takes its tokens from, None without any.
    quotas: Quotas | None = None

    def describe_pool(self, pool_id: str, client_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """DescribeUserPool and DescribeUserPoolClient, for comparing a pool with a policy (paced under their
        quotas, as the start-up checks are)."""
        return describe_pool(self.client, pool_id, client_id, pace=self.quotas.pace if self.quotas else None)


def build(settings: Settings, *, clock: Clock | None = None, env: Mapping[str, str] | None = None) -> Backend:
    """The backend `settings` names. `env` holds the client secrets the policies name (aws backend only)."""
    if settings.backend == "embedded":
        return embedded(settings, clock=clock)
    return aws(settings, env=env)


def quotas(settings: Settings) -> Quotas | None:
    """The buckets of Cognito's quotas (api.cognito.quotas), in Redis when `settings.redis_url` is set. On
    the aws backend every category, at AWS's defaults where REGAPI_COGNITO_QUOTAS names no other rate; the
    embedded Cognito has no quota, so there only the categories REGAPI_COGNITO_QUOTAS names (none: no gate).
    Without Redis, or while it is out of reach, each of the `settings.workers` processes keeps its part."""
    try:
        return build_quotas(
            settings.cognito_quotas,
            every_category=settings.backend == "aws",
            redis_url=settings.redis_url,
            workers=settings.workers,
        )
    except UnknownCategoryError as exc:
        raise ConfigurationError(str(exc)) from None


def embedded(settings: Settings | None = None, *, clock: Clock | None = None) -> Backend:
    """The in-process Cognito. Its tokens name the API's address (`settings.host` and `port`, where the
    API serves the pools' key sets) as their issuer: settings naming another address than the one the
    API listens on give tokens whose key sets cannot be found there."""
    from api.cognito.embedded import EmbeddedCognito, EmbeddedKeySource  # noqa: PLC0415 - moto only here
    from api.cognito.embedded.discovery import listening_url  # noqa: PLC0415

    settings = settings or Settings()
    cognito = EmbeddedCognito(clock=clock, api_url=listening_url(settings.host, settings.port))
    keys = EmbeddedKeySource(cognito)
    provider = CognitoAdapter(cognito.client, quotas=quotas(settings))
    return Backend(cognito.client, provider, EmbeddedPools(cognito), keys, cognito)


def aws(settings: Settings, *, env: Mapping[str, str] | None = None) -> Backend:
    """Cognito at `settings.cognito_endpoint` (AWS itself when unset). The client secrets come from `env`,
    by default the process environment (`os.environ`, read each time a pool is bound). Every Cognito
    request, the key fetches too, shares one budget: `settings.cognito_timeout` and one set of slots."""
    budget = CallBudget(settings.cognito_timeout)
    client = create_client(settings.region, settings.cognito_endpoint, budget)
    # One set of buckets for the requests' calls and the pools' checks.
    gate = quotas(settings)
    pace = gate.pace if gate is not None else None
    return Backend(
        client,
        CognitoAdapter(client, budget, quotas=gate),
        ConfiguredPools(
            os.environ if env is None else env,
            lambda pool_id, client_id: describe_pool(client, pool_id, client_id, pace=pace),
            production=settings.production,
        ),
        HttpKeySource(settings.region, settings.cognito_endpoint, budget=budget, issuer=settings.cognito_issuer),
        quotas=gate,
    )
