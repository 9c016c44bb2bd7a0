"""The two servers bench/perf.py measures regapi's `registrationForm` against, in the same run:

- "plain Starlette": an async route that decodes the body, checks its query and variables, and answers a
  constant JSONResponse of regapi's answer: the floor any Python JSON endpoint on this stack pays;
- "plain strawberry": `strawberry.asgi.GraphQL` on a schema of the same shape as the fields the document
  selects, a constant resolver, and the caches and limits regapi's schema has (api/schema/__init__.py),
  with the validation rules built once so that the validation cache hits.

Both answer what regapi answered (perf.py asks regapi first and hands its answer over), so every server
sends the same bytes. Each is served as regapi is (api.server's httptools protocol, uvicorn's default loop,
no access log):

    python -m bench.anchors {starlette,strawberry} --port N --request BODY.json --answer ANSWER.json
"""

from __future__ import annotations

import argparse
import gc
import json
from enum import Enum
from pathlib import Path
from typing import Any

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.config import StrawberryConfig

from api.server import http_protocol

# regapi's limits (api/schema/__init__.py; tests/bench checks they stay the same), copied rather than
# imported so that the anchor's process holds none of regapi's modules besides its HTTP protocol.
MAX_TOKENS = 1000
MAX_ALIASES = 15
MAX_DEPTH = 8
# Built once: a rule built per request (a limiter's factory) changes the validation cache's key, and every
# lookup misses (../shared/research/perf-baseline.md, "Trap").
VALIDATION_RULES: list[Any] = [depth_rule(MAX_DEPTH, None, None), max_aliases_rule(MAX_ALIASES)]


def starlette_app(request_body: bytes, answer: dict[str, Any]) -> Starlette:
    """A route answering `answer` to the request `request_body` is (same query and variables), 400 otherwise."""
    expected = json.loads(request_body)
    query, variables = expected["query"], expected["variables"]

    async def graphql(request: Request) -> JSONResponse:
        payload = json.loads(await request.body())
        if not isinstance(payload, dict) or payload.get("query") != query or payload.get("variables") != variables:
            return JSONResponse({"errors": [{"message": "not the benchmark's request"}]}, status_code=400)
        return JSONResponse(answer)

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


@strawberry.enum
class RegistrationOperation(Enum):
    INVITE = "invite"
    SIGN_UP = "sign_up"
    FIRST_SIGN_IN = "first_sign_in"
    PROFILE_UPDATE = "profile_update"
    ADMIN_UPDATE = "admin_update"


@strawberry.enum
class UsernameKind(Enum):
    EMAIL = "email"
    USERNAME = "username"


@strawberry.type
class PasswordPolicy:
    min_length: int
    require_digits: bool


@strawberry.type
class FormField:
    attribute: str
    required: bool
    writable: bool
    already_set: bool
    input_type: str
    pattern: str | None
    max_length: int | None
    options: list[str] | None


@strawberry.type
class RegistrationForm:
    tenant: strawberry.ID
    enabled: bool
    username_kind: UsernameKind
    password_policy: PasswordPolicy
    fields: list[FormField]


def registration_form(answer: dict[str, Any]) -> RegistrationForm:
    """regapi's answer (`{"data": {"registrationForm": ...}}`) as the anchor's objects."""
    form = answer["data"]["registrationForm"]
    password = form["passwordPolicy"]
    return RegistrationForm(
        tenant=strawberry.ID(form["tenant"]),
        enabled=form["enabled"],
        username_kind=UsernameKind[form["usernameKind"]],
        password_policy=PasswordPolicy(min_length=password["minLength"], require_digits=password["requireDigits"]),
        fields=[
            FormField(
                attribute=field["attribute"],
                required=field["required"],
                writable=field["writable"],
                already_set=field["alreadySet"],
                input_type=field["inputType"],
                pattern=field["pattern"],
                max_length=field["maxLength"],
                options=field["options"],
            )
            for field in form["fields"]
        ],
    )


def strawberry_schema(answer: dict[str, Any]) -> strawberry.Schema:
    form = registration_form(answer)

    @strawberry.type
    class Query:
        @strawberry.field
        def registration_form(self, tenant: strawberry.ID, operation: RegistrationOperation) -> RegistrationForm:
            return form

    return strawberry.Schema(
        query=Query,
        config=StrawberryConfig(batching_config=None),
        extensions=[
            lambda: MaxTokensLimiter(MAX_TOKENS),
            lambda: AddValidationRules(VALIDATION_RULES),
            ParserCache,
            ValidationCache,
        ],
    )


def strawberry_app(answer: dict[str, Any]) -> Starlette:
    view: GraphQL[None, None] = GraphQL(strawberry_schema(answer), graphql_ide=None, allow_queries_via_get=False)
    return Starlette(routes=[Route("/graphql", view, methods=["POST"])])


def serve(app: Starlette, port: int) -> None:
    """Serve `app` on 127.0.0.1:`port` until SIGINT or SIGTERM, with regapi's server options (api.server)."""
    gc.freeze()  # as `regapi serve` does once its app is built (api/startup.py)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=http_protocol(),
        access_log=False,
        proxy_headers=False,
        log_config=None,
        log_level="warning",
    )
    uvicorn.Server(config).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["starlette", "strawberry"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--request", type=Path, required=True, help="the request body the anchor answers")
    parser.add_argument("--answer", type=Path, required=True, help="regapi's answer to it, as JSON")
    args = parser.parse_args()
    answer = json.loads(args.answer.read_bytes())
    if args.kind == "starlette":
        serve(starlette_app(args.request.read_bytes(), answer), args.port)
    else:
        serve(strawberry_app(answer), args.port)


if __name__ == "__main__":
    main()
