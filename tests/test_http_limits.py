"""Request limits in front of GraphQL: body size, JSON only, and what production hides."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

from api.schema import build_schema
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP, attrs


def test_an_oversized_body_is_refused_before_parsing(embedded_api: Api, unique: str) -> None:
    username = f"big-{unique}@shop.example"
    variables = {
        "input": {"tenant": "shop", "username": username, "password": "x" * 10, "attributes": attrs(name="n" * 70_000)}
    }
    response = embedded_api.http.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert response.status_code == 413
    assert embedded_api.outbox("shop", username) == []


def test_a_chunked_body_is_capped_too(embedded_api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = embedded_api.http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_cross_site_simple_requests_never_reach_a_resolver(embedded_api: Api, unique: str) -> None:
    username = f"csrf-{unique}@shop.example"
    body = json.dumps(
        {
            "query": SIGN_UP,
            "variables": {
                "input": {
                    "tenant": "shop",
                    "username": username,
                    "password": "horse 42 x",
                    "attributes": attrs(name="Eve"),
                }
            },
        }
    )
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = embedded_api.http.post("/graphql", content=body, headers={"content-type": content_type})
        assert response.status_code == 415, content_type
    assert embedded_api.outbox("shop", username) == []
    accepted = embedded_api.http.post(
        "/graphql", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert accepted.json()["data"]["signUp"]["__typename"] == "SignUpSuccess"


def test_production_hides_the_schema() -> None:
    production, development = build_schema(production=True), build_schema()
    introspection = "{ __schema { types { name } } }"
    refused = asyncio.run(production.execute(introspection))
    assert refused.errors
    assert "introspection" in refused.errors[0].message
    assert not asyncio.run(development.execute(introspection)).errors
    typo = 'query { registrationFrom(tenant: "shop", operation: SIGN_UP) { enabled } }'
    hidden = asyncio.run(production.execute(typo))
    shown = asyncio.run(development.execute(typo))
    assert hidden.errors
    assert shown.errors
    assert "Did you mean" in shown.errors[0].message
    assert "Did you mean" not in hidden.errors[0].message
