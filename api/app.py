"""create_app: the only place where the parts are wired together."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.clock import Clock
from api.cognito.adapter import CognitoAdapter, create_client
from api.cognito.port import IdentityProvider, PoolBinding
from api.policy import Policy, TenantPolicy, load_directory, normalize_username
from api.provisioning import client_parameters, pool_parameters
from api.registration import RegistrationService, SessionSealer
from api.schema import build_schema
from api.schema.view import GraphQLView
from api.settings import Settings

if TYPE_CHECKING:
    from api.cognito.embedded import EmbeddedCognito

log = logging.getLogger("regapi")


class ConfigurationError(RuntimeError):
    pass


def _pools(policies: Mapping[str, TenantPolicy]) -> dict[str, list[Policy]]:
    grouped: dict[str, list[Policy]] = defaultdict(list)
    for tenant in policies.values():
        grouped[tenant.policy.cognito.user_pool].append(tenant.policy)
    return dict(grouped)


def _refuse_unsafe(settings: Settings, pools: Mapping[str, list[Policy]]) -> None:
    shared = sorted(name for name, members in pools.items() if len(members) > 1)
    if shared:
        # Without a tenant stamp on each user, one tenant's looser rules (self sign-up, a weaker
        # password) would open the other tenants' accounts: refuse rather than share unsafely.
        raise ConfigurationError(
            f"pools named by several tenants: {', '.join(shared)}. Sharing a pool between tenants is not "
            "available yet: give each tenant its own cognito.user_pool"
        )
    if settings.production and settings.backend == "embedded":
        raise ConfigurationError(
            "REGAPI_ENV=production with the embedded Cognito: it keeps users in memory and serves every code "
            "and temporary password at /dev/outbox. Set REGAPI_BACKEND=aws"
        )
    if settings.production and settings.session_secret is None:
        raise ConfigurationError("REGAPI_ENV=production needs REGAPI_SESSION_SECRET (it seals challenge sessions)")


def _configured_bindings(pools: Mapping[str, list[Policy]]) -> dict[str, PoolBinding]:
    """Pools that exist already (real Cognito or another endpoint): ids and secrets come from the policy."""
    bindings = {}
    for name, policies in pools.items():
        first = policies[0].cognito
        if not first.user_pool_id or not first.client_id:
            raise ConfigurationError(
                f"pool {name!r}: the aws backend needs cognito.user_pool_id and cognito.client_id in its policy"
            )
        secret = None
        if first.client_secret_env:
            secret = os.environ.get(first.client_secret_env)
            if not secret:
                raise ConfigurationError(
                    f"pool {name!r}: the environment variable {first.client_secret_env} (client_secret_env) is not set"
                )
        bindings[name] = PoolBinding(name, first.user_pool_id, first.client_id, secret)
    return bindings


def create_app(
    settings: Settings,
    *,
    provider: IdentityProvider | None = None,
    policies: Mapping[str, TenantPolicy] | None = None,
    clock: Clock | None = None,
) -> Starlette:
    tenants = dict(policies) if policies is not None else load_directory(settings.policy_dir)
    pools = _pools(tenants)
    _refuse_unsafe(settings, pools)
    routes = []
    if provider is not None:
        bindings = {name: PoolBinding(name, name, name) for name in pools}
    elif settings.backend == "embedded":
        from api.cognito.embedded import EmbeddedCognito  # noqa: PLC0415 - moto loads only in embedded mode

        embedded = EmbeddedCognito(clock=clock)
        bindings = {
            name: embedded.create_pool(pool_parameters(name, members), client_parameters(members), name)
            for name, members in pools.items()
        }
        provider = CognitoAdapter(embedded.client)
        routes.append(Route("/dev/outbox", _outbox_endpoint(embedded, tenants)))
    else:
        bindings = _configured_bindings(pools)
        provider = CognitoAdapter(create_client(settings.region, settings.cognito_endpoint))

    service = RegistrationService(tenants, bindings, provider, SessionSealer(settings.session_secret))
    graphql = GraphQLView(build_schema(), service, graphiql=not settings.production)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "tenants": len(tenants)})

    routes += [Route("/graphql", graphql, methods=["GET", "POST"]), Route("/healthz", healthz)]
    app = Starlette(routes=routes)
    log.info("regapi ready: %d tenants on %d pools (%s backend)", len(tenants), len(pools), settings.backend)
    return app


def _outbox_endpoint(
    embedded: EmbeddedCognito, tenants: Mapping[str, TenantPolicy]
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """GET /dev/outbox?tenant=&username=: what the embedded Cognito sent (embedded mode only)."""

    async def outbox(request: Request) -> JSONResponse:
        tenant = request.query_params.get("tenant")
        username = request.query_params.get("username")
        if tenant is not None and tenant not in tenants:
            return JSONResponse({"error": f"no tenant named {tenant!r}"}, status_code=404)
        if tenant is not None and username is not None:
            username = normalize_username(tenants[tenant].policy, username)
        messages = embedded.outbox.messages(tenant=tenant, username=username)
        return JSONResponse([m.to_json() for m in messages])

    return outbox
