"""The routes of the hosted pages: GET /t/<tenant>/<page>, the tenant's colours at /t/<tenant>/theme.css,
its logo at /t/<tenant>/logo (fetched and kept by api.pages.logo), and the static files under /pages/static/.

A page is chosen in the tenant's policy as it is now (hot reload changes the next page served), in the
language `api.pages.language` picks. An unknown tenant, a tenant whose policy was refused, or an unknown
page is a 404 page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from api.events.ssrf import Resolver, system_resolve
from api.pages.assets import graphiql_files, static_files
from api.pages.headers import COMMON, page_headers
from api.pages.language import choose
from api.pages.logo import HEADERS as LOGO_HEADERS
from api.pages.logo import Logos
from api.pages.shell import PAGES, render, render_not_found
from api.pages.theme import theme_css
from api.policy import TenantPolicy
from api.policy.pages import LANGUAGES

log = logging.getLogger("regapi.pages")

STATIC_PREFIX = "/pages/static"
GRAPHIQL_PREFIX = f"{STATIC_PREFIX}/graphiql"


class HostedPages:
    """`graphiql`: serve GraphiQL's files too (development, where GET /graphql serves GraphiQL).
    `production`: warn of a page URL that is http, once per policy revision, and fetch logos over https
    from public addresses only. `resolve`: the DNS the logo fetch asks (tests give their own)."""

    def __init__(
        self,
        tenants: Mapping[str, TenantPolicy],
        *,
        production: bool,
        graphiql: bool,
        resolve: Resolver = system_resolve,
    ) -> None:
        self._tenants = tenants
        self._production = production
        self._graphiql = graphiql
        self._logos = Logos(production=production, resolve=resolve)
        self._checked: set[tuple[str, str]] = set()
        for tenant in tenants.values():
            self._check(tenant)

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/t/{tenant}/theme.css", self.theme, methods=["GET", "HEAD"]),
            Route("/t/{tenant}/logo", self.logo, methods=["GET", "HEAD"]),
            Route("/t/{tenant}/{page}", self.page, methods=["GET", "HEAD"]),
        ]
        if self._graphiql:  # before the pages' own mount, which would otherwise take its paths
            routes.append(Mount(GRAPHIQL_PREFIX, app=graphiql_files()))
        routes.append(Mount(STATIC_PREFIX, app=static_files()))
        return routes

    def _check(self, tenant: TenantPolicy) -> None:
        """In production an http return URL is served as written (the operator's call), but said: it sends
        the user off TLS. An http logo is said too: production fetches logos over https only, so none shows."""
        if not self._production or (tenant.tenant, tenant.revision) in self._checked:
            return
        self._checked.add((tenant.tenant, tenant.revision))
        pages = tenant.policy.pages
        for key, url in (("logo_url", pages.logo_url), ("return_url", pages.return_url)):
            if url is not None and url.lower().startswith("http://"):
                log.warning(
                    "tenant %r: pages.%s is an http URL; in production use https (%s)", tenant.tenant, key, tenant.path
                )

    async def page(self, request: Request) -> Response:
        tenant = self._tenants.get(request.path_params["tenant"])
        page = request.path_params["page"]
        requested = request.query_params.get("lang")
        accept_language = request.headers.get("accept-language")
        if tenant is None or page not in PAGES:
            language = choose(requested, accept_language, LANGUAGES)
            return HTMLResponse(render_not_found(language), status_code=404, headers=page_headers(language))
        self._check(tenant)
        language = choose(requested, accept_language, tenant.policy.pages.languages)
        # The page shows the logo only when regapi has it: never an <img> that answers 404.
        logo = await self._logos.logo(tenant) is not None
        html = render(tenant, page, language, request.query_params, logo=logo)
        return HTMLResponse(html, headers=page_headers(language))

    async def theme(self, request: Request) -> Response:
        tenant = self._tenants.get(request.path_params["tenant"])
        color = tenant.policy.pages.primary_color if tenant is not None else None
        if color is None:
            return Response("", status_code=404, media_type="text/css", headers=COMMON)
        return Response(theme_css(color), media_type="text/css", headers={**COMMON, "Cache-Control": "no-cache"})

    async def logo(self, request: Request) -> Response:
        tenant = self._tenants.get(request.path_params["tenant"])
        logo = await self._logos.logo(tenant) if tenant is not None else None
        if logo is None:
            return Response("", status_code=404, headers=COMMON)
        return Response(logo.body, media_type=logo.content_type, headers={**COMMON, **LOGO_HEADERS})
