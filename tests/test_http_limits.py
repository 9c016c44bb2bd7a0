"""Request limits in front of GraphQL: body size, JSON only, hostile bodies, slow bodies, and what
production hides."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.schema import build_schema
from api.settings import Settings
from tests.helpers import DEMO_POLICIES
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP, attrs
from tests.helpers.logs import lines_above_info
from tests.helpers.raw_http import Answer, closed_without_answer, connect, read_answer, request_head, trickle
from tests.helpers.server import LiveServer

TYPENAME = b'{"query": "{ __typename }", "variables": '
# Bodies no client library sends, each of which once gave a 500 (or a plain-text 400) and an ERROR line.
HOSTILE = {
    "JSON nested 1,000 deep": b"[" * 1000 + b"]" * 1000,
    "variables nested 1,000 deep": TYPENAME + b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
    "variables nested 65 deep": TYPENAME + b'{"a": ' + b"[" * 63 + b"]" * 63 + b"}}",
    "an integer of 5,000 digits": TYPENAME + b'{"n": ' + b"7" * 5000 + b"}}",
    "NaN": TYPENAME + b'{"n": NaN}}',
    "an unpaired surrogate": TYPENAME + b'{"s": "\\ud800"}}',
    "null": b"null",
    "1": b"1",
    '"x"': b'"x"',
    "true": b"true",
    "[1, 2]": b"[1, 2]",
    "{}": b"{}",
    "a query that is a number": b'{"query": 1}',
    "variables that are a list": TYPENAME + b"[1]}",
    "not JSON": b'{"query": ',
    "empty": b"",
    "invalid UTF-8": b'{"query": "{ __typename \xff\xfe }"}',
}


def refused(answer: httpx.Response | Answer, status: int, code: str) -> str:
    """The message of a GraphQL-shaped refusal, after checking its status and code."""
    actual = answer.status_code if isinstance(answer, httpx.Response) else answer.status
    assert actual == status
    body: dict[str, Any] = answer.json()
    assert set(body) == {"errors"}, body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": code}
    message: str = error["message"]
    return message


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_body_gets_a_graphql_shaped_400_and_no_warning(embedded_api: Api, name: str) -> None:
    with lines_above_info() as logged:
        response = embedded_api.http.post(
            "/graphql", content=HOSTILE[name], headers={"content-type": "application/json"}
        )
        healthy = embedded_api.http.get("/healthz")
    assert response.status_code == 400, response.text
    message = refused(response, 400, "BAD_REQUEST")
    assert "7777" not in message  # nothing of the body is quoted
    assert healthy.status_code == 200
    assert logged == []


def test_raw_bytes_that_are_not_utf8_get_a_400(embedded_api: Api) -> None:
    """Sent on a socket, as no HTTP library would re-encode them."""
    body = b'{"query": "mutation { signUp(input: {tenant: \\"shop\\", username: \\"\xc3\x28\\"}) }"}'
    head = {"Host": "127.0.0.1", "Content-Type": "application/json", "Content-Length": str(len(body))}
    with lines_above_info() as logged, connect(str(embedded_api.http.base_url).rstrip("/")) as sock:
        sock.sendall(request_head("POST", "/graphql", head) + body)
        answer = read_answer(sock)
    assert "UTF-8" in refused(answer, 400, "BAD_REQUEST")
    assert logged == []


def test_a_body_cut_short_gets_a_400(embedded_api: Api) -> None:
    """The client announces 100 bytes, sends 10 and closes its side: it still gets an answer."""
    url = str(embedded_api.http.base_url).rstrip("/")
    head = {"Host": "127.0.0.1", "Content-Type": "application/json", "Content-Length": "100"}
    with lines_above_info() as logged:
        with connect(url) as sock:
            sock.sendall(request_head("POST", "/graphql", head) + b'{"query": ')
            sock.shutdown(socket.SHUT_WR)
            answer = read_answer(sock)
        with connect(url) as gone:  # and one that closes altogether: nobody to answer, nothing logged
            gone.sendall(request_head("POST", "/graphql", head) + b'{"query": ')
        healthy = embedded_api.http.get("/healthz")
    assert "ended before" in refused(answer, 400, "BAD_REQUEST")
    assert healthy.status_code == 200
    assert logged == []


@pytest.fixture(scope="module")
def impatient() -> Iterator[str]:
    """An API that gives clients half a second for their body."""
    app = create_app(Settings(policy_dir=DEMO_POLICIES, reload=False, body_timeout=0.5))
    with LiveServer(app) as server:
        yield server.url


def test_a_body_sent_a_byte_at_a_time_gets_408(impatient: str) -> None:
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 400}}).encode()
    head = {"Host": "127.0.0.1", "Content-Type": "application/json", "Content-Length": str(len(body))}
    with lines_above_info() as logged, connect(impatient) as sock:
        sock.sendall(request_head("POST", "/graphql", head))
        answer = trickle(sock, body, every=0.05)
    assert "within 0.5 s" in refused(answer, 408, "REQUEST_TIMEOUT")
    assert answer.headers["connection"] == "close"
    assert logged == []
    # A client in no hurry but within the limit is served.
    assert httpx.post(f"{impatient}/graphql", json={"query": "{ __typename }"}).json() == {
        "data": {"__typename": "Query"}
    }


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_a_body_on_another_method_is_refused_and_the_connection_closed(embedded_api: Api, method: str) -> None:
    """Only POST bodies are read and timed: a body elsewhere, sent a byte a second after the answer,
    would hold the connection open for good."""
    head = {"Host": "127.0.0.1", "Content-Length": "100000"}
    with lines_above_info() as logged, connect(str(embedded_api.http.base_url)) as sock:
        sock.sendall(request_head(method, "/graphql", head) + b"x")
        answer = read_answer(sock)
        assert closed_without_answer(sock)  # closed after the answer, not held open for the rest
    assert "Only POST" in refused(answer, 400, "BAD_REQUEST")
    assert answer.headers["connection"] == "close"
    assert logged == []


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
