"""The routes of the hosted pages: GET /t/<tenant>/<page>, the tenant's colours at /t/<tenant>/theme.css,
and the static files under /pages/static/.

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

from api.pages.assets import graphiql_files, static_files
from api.pages.headers import COMMON, page_headers
from api.pages.language import choose
from api.pages.shell import PAGES, render, render_not_found
from api.pages.theme import theme_css
from api.policy import TenantPolicy
from api.policy.pages import LANGUAGES

log = logging.getLogger("regapi.pages")

STATIC_PREFIX = "/pages/static"
GRAPHIQL_PREFIX = f"{STATIC_PREFIX}/graphiql"


class HostedPages:
    """`graphiql`: serve GraphiQL's files too (development, where GET /graphql serves GraphiQL).
    `production`: warn of a page URL that is http, once per policy revision."""

    def __init__(self, tenants: Mapping[str, TenantPolicy], *, production: bool, graphiql: bool) -> None:
        self._tenants = tenants
        self._production = production
        self._graphiql = graphiql
        self._checked: set[tuple[str, str]] = set()
        for tenant in tenants.values():
            self._check(tenant)

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/t/{tenant}/theme.css", self.theme, methods=["GET", "HEAD"]),
            Route("/t/{tenant}/{page}", self.page, methods=["GET", "HEAD"]),
        ]
        if self._graphiql:  # before the pages' own mount, which would otherwise take its paths
            routes.append(Mount(GRAPHIQL_PREFIX, app=graphiql_files()))
        routes.append(Mount(STATIC_PREFIX, app=static_files()))
        return routes

    def _check(self, tenant: TenantPolicy) -> None:
        """In production an http logo or return URL is served as written (the operator's call), but said:
        an http logo is mixed content on an https page, an http return URL sends the user off TLS."""
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
            return HTMLResponse(render_not_found(language), status_code=404, headers=page_headers(None, language))
        self._check(tenant)
        language = choose(requested, accept_language, tenant.policy.pages.languages)
        html = render(tenant, page, language, request.query_params)
        return HTMLResponse(html, headers=page_headers(tenant, language))

    async def theme(self, request: Request) -> Response:
        tenant = self._tenants.get(request.path_params["tenant"])
        color = tenant.policy.pages.primary_color if tenant is not None else None
        if color is None:
            return Response("", status_code=404, media_type="text/css", headers=COMMON)
        return Response(theme_css(color), media_type="text/css", headers={**COMMON, "Cache-Control": "no-cache"})
