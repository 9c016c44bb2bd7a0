"""create_app: the only place where the parts are wired together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api import backends
from api.clock import Clock
from api.events import wiring as events_wiring
from api.events.admission import WebhookAdmission
from api.events.publisher import Publisher
from api.events.wiring import EventsRuntime
from api.http import AllowedHosts, BrowserOrigins, RequestLimits, own_origin
from api.observability import metrics
from api.observability.request_ids import RequestIds
from api.pages import GRAPHIQL_PREFIX, HostedPages
from api.policy import PolicyLoadError, TenantPolicy, normalize_username
from api.policy.loader import load_each
from api.policy.store import PolicyStore
from api.pools import ConfigurationError, bind_all
from api.registration import (
    AccessTokens,
    AttemptLimiter,
    MemorySingleUse,
    OriginRule,
    RedisSingleUse,
    SessionSealer,
    build_use_cases,
)
from api.reload import PolicyReloader
from api.schema import build_schema
from api.schema.view import GraphQLView
from api.settings import Settings

if TYPE_CHECKING:
    from api.cognito.embedded import EmbeddedCognito

__all__ = ["ConfigurationError", "create_app"]

log = logging.getLogger("regapi")


def _refuse_unsafe(settings: Settings) -> None:
    if settings.production and settings.backend == "embedded":
        raise ConfigurationError(
            "REGAPI_ENV=production with the embedded Cognito: it keeps users in memory and serves every code "
            "and temporary password at /dev/outbox. Set REGAPI_BACKEND=aws"
        )
    if settings.production and settings.session_secret is None:
        raise ConfigurationError("REGAPI_ENV=production needs REGAPI_SESSION_SECRET (it seals challenge sessions)")
    if settings.production and not settings.allowed_hosts:
        raise ConfigurationError(
            "REGAPI_ENV=production needs REGAPI_ALLOWED_HOSTS: the host names clients reach the API by, "
            "comma-separated (api.example.com); requests with any other Host header are refused"
        )


def create_app(settings: Settings, *, clock: Clock | None = None, events: EventsRuntime | None = None) -> Starlette:
    """`events`: a test's own events runtime (a short retry schedule); by default built from the settings."""
    tenants, broken = load_each(settings.policy_dir)
    if broken and settings.strict_policies:  # CI wants the whole set right, or no server
        raise PolicyLoadError([error for errors in broken.values() for error in errors])
    _refuse_unsafe(settings)
    # A file that does not load, or a pool shared undeclared, refuses its own tenants, not the server.
    store = PolicyStore.admitting(tenants, broken)
    # So does a webhook whose secret is missing, or (in production) whose URL is not https or is internal.
    admission = WebhookAdmission(os.environ, production=settings.production)
    admission.admit(store, strict=settings.strict_policies)
    for error in (e for errors in store.errors.values() for e in errors):
        log.error("policy refused at start-up, tenant %r is not served: %s", error.file.stem, error)
    backend = backends.build(settings, clock=clock)
    # The delivery schedule keeps real time, not a test's clock: receivers, their timeouts and the
    # webhook-timestamp they check live in it (a test moves its clock for Cognito's expiries).
    events = events or events_wiring.build(settings)
    events.follow(store)  # each attempt goes to the webhook as the tenant's current policy has it
    routes: list[BaseRoute] = []
    if backend.embedded is not None:
        routes.append(Route("/dev/outbox", _outbox_endpoint(backend.embedded, store)))
        routes += backend.embedded.routes()  # its pools' key sets and discovery documents, at their issuers
    pools = bind_all(backend.binder, store, strict=settings.strict_policies)

    # One rule for the CORS preflight (any tenant) and the use cases (the request's tenant).
    origins = OriginRule(store, loopback=settings.loopback_origins())
    use_cases = build_use_cases(
        store,
        pools,
        backend.provider,
        sealer=SessionSealer(settings.session_secret),
        limiter=AttemptLimiter(settings.redis_url),
        tokens=AccessTokens(backend.keys),
        used_sessions=RedisSingleUse(settings.redis_url) if settings.redis_url else MemorySingleUse(),
        clock=clock,
        origins=origins,
        publisher=Publisher(events.queue),  # what the use cases emit, after Cognito acted
        deliveries=events.queue,  # what the admin API lists and replays
    )
    graphql = GraphQLView(
        build_schema(production=settings.production),
        use_cases,
        graphiql=not settings.production,
        trusted_proxies=settings.trusted_proxies,
        own_origin=own_origin,
        graphiql_assets=GRAPHIQL_PREFIX,  # served below by the pages, so GraphiQL asks no CDN
    )
    # The hosted registration pages read the store as it is at each request: hot reload changes them too.
    pages = HostedPages(store, production=settings.production, graphiql=not settings.production)
    reloader = PolicyReloader(settings.policy_dir, store, backend.binder, pools, admission)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "tenants": len(store)})

    async def readyz(_: Request) -> JSONResponse:
        """Ready while it serves tenants; lists the policy files refused since start-up."""
        refused = [
            {"file": str(e.file), "line": e.line, "key": e.key, "message": e.message, "fix": e.fix}
            for errors in store.errors.values()
            for e in errors
        ]
        if reloader.stopped:
            refused.append(
                {
                    "file": str(settings.policy_dir),
                    "line": None,
                    "key": "",
                    "message": reloader.stopped,
                    "fix": "restart the server",
                }
            )
        status = "degraded" if refused else "ready"
        body = {"status": status if len(store) else "no tenants", "tenants": len(store), "refused": refused}
        return JSONResponse(body, status_code=200 if len(store) else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        watcher = asyncio.create_task(reloader.watch()) if settings.reload else None
        await events.start()
        try:
            yield
        finally:
            await events.stop()
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    routes += [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *pages.routes(),
    ]
    if not settings.production:  # production serves it on REGAPI_METRICS_PORT only, never to the public
        routes.append(Route("/metrics", _metrics))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestIds),  # outermost: every answer and every line of the request carries its id
            Middleware(AllowedHosts, hosts=settings.host_names()),
            Middleware(BrowserOrigins, allowed=origins.allows_some_tenant),
            Middleware(RequestLimits, max_body_bytes=settings.max_body_bytes, body_timeout=settings.body_timeout),
        ],
    )
    metrics.tenants_served(store)
    metrics.policies(len(store), len(store.errors))
    log.info("regapi ready: %d tenants on %d pools (%s backend)", len(store), len(pools), settings.backend)
    return app


async def _metrics(_: Request) -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


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
