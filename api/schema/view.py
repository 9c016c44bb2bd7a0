"""The HTTP view: strawberry's ASGI GraphQL app with regapi's context, and a short way for POST /graphql.

A POST /graphql reaches the view with its body read, parsed and checked as one GraphQL request by
api.http.RequestLimits (the one place that reads it), so the view executes it at once and answers JSON;
strawberry's own request handling (GraphiQL on GET, every other method's refusal) serves the rest.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.http import GRAPHQL_REQUEST
from api.registration import Caller, UseCases
from api.schema.context import Context

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


def networks(trusted: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest address in
    X-Forwarded-For that is not one of ours. Anyone else's X-Forwarded-For is a claim, not a fact."""

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in trusted)

    address = peer or "unknown"
    if not forwarded_for or not trusted or not is_trusted(address):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not is_trusted(hop):
            break
    return address


OwnOrigin = Callable[[MutableMapping[str, Any]], str | None]
# Where strawberry's GraphiQL page loads its scripts and styles from; `graphiql_assets` replaces it.
GRAPHIQL_CDN = "https://unpkg.com/"


class GraphQLView(GraphQL[Context, None]):
    """`own_origin` gives the API's own origin for a request's scope, or None: requests from there
    (GraphiQL) are not held to a tenant's CORS rule. Without it, no origin is the API's own.

    `graphiql_assets`: the URL path under which GraphiQL's files are served by this API (api.pages), so
    that GraphiQL works offline and asks no CDN; by default the page loads them from strawberry's CDN."""

    def __init__(
        self,
        schema: Any,
        use_cases: UseCases,
        *,
        graphiql: bool,
        trusted_proxies: Sequence[str] = (),
        own_origin: OwnOrigin | None = None,
        graphiql_assets: str | None = None,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if graphiql else None, allow_queries_via_get=False)
        self._use_cases = use_cases
        self._trusted = networks(trusted_proxies)
        self._own_origin = own_origin
        self._graphiql_assets = graphiql_assets

    @property
    def graphql_ide_html(self) -> str:
        html = super().graphql_ide_html
        if self._graphiql_assets is None:
            return html
        # The same paths, versions and integrity attributes: the files are the CDN's, vendored unchanged.
        return html.replace(GRAPHIQL_CDN, self._graphiql_assets.rstrip("/") + "/")

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        data = scope.get(GRAPHQL_REQUEST) if scope["type"] == "http" else None
        if data is None:
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            result = await self.schema.execute(
                data.get("query"),
                data.get("variables"),
                self.context(request),
                None,
                data.get("operationName"),
                POST_OPERATIONS,
                data.get("extensions"),
            )
        # strawberry's answers to these (its view's execute_single), word for word.
        except CannotGetOperationTypeError as error:
            response: Response = PlainTextResponse(error.as_http_error_reason(), status_code=400)
        except InvalidOperationTypeError as error:
            response = PlainTextResponse(error.as_http_error_reason("POST"), status_code=400)
        except MissingQueryError:
            response = PlainTextResponse("No GraphQL query found in the request", status_code=400)
        else:
            response = Response(self.encode_json(process_result(result)), media_type="application/json")
        await response(scope, receive, send)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return self.context(request)

    def context(self, request: Request | WebSocket) -> Context:
        origin = request.headers.get("origin")
        if origin is not None and self._own_origin is not None and origin == self._own_origin(request.scope):
            origin = None  # the API's own pages (GraphiQL)
        peer = request.client.host if request.client else None
        address = client_address(peer, request.headers.get("x-forwarded-for"), self._trusted)
        caller = Caller(authorization=request.headers.get("authorization"), origin=origin, address=address)
        return Context(use_cases=self._use_cases, caller=caller)
