"""The HTTP view: strawberry's ASGI GraphQL app with regapi's context."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.registration import Caller, RegistrationService
from api.schema.context import Context


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: Any, service: RegistrationService, *, graphiql: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if graphiql else None, allow_queries_via_get=False)
        self._service = service

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        origin = request.headers.get("origin")
        if origin is not None and origin == f"{request.url.scheme}://{request.headers.get('host', '')}":
            origin = None  # the API's own pages (GraphiQL)
        return Context(
            service=self._service, caller=Caller(authorization=request.headers.get("authorization"), origin=origin)
        )
