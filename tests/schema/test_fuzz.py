"""Property-based fuzzing of the GraphQL API over HTTP: generated queries and mutations with hostile
values (huge and unicode strings, wrong types, nested inputs) must never produce a 5xx, a masked
"Unexpected error." (an exception escaping a resolver) or a crash."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from api.clock import ManualClock
from tests.helpers import ROOT
from tests.helpers.client import Api, InProcessCognito

SDL = (ROOT / "schema.graphql").read_text(encoding="utf-8")
EXAMPLES = 150  # per operation type; the README quotes the total
MASKED = "Unexpected error."

FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def problem(response: httpx.Response) -> str | None:
    """What is wrong with the API's answer to a generated request, or None when nothing is.

    A 5xx is wrong; so is a masked error in any JSON answer, whatever its status; so is a 200 that is not
    JSON. A refusal before GraphQL (413, 415) may be plain text.
    """
    if response.status_code >= 500:
        return f"status {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return "a 200 whose body is not JSON" if response.status_code == 200 else None
    errors = body.get("errors") if isinstance(body, dict) else None
    if any(isinstance(error, dict) and error.get("message") == MASKED for error in errors or []):
        return f"a masked {MASKED!r} (an exception escaped a resolver), status {response.status_code}"
    return None


def check(api: Api, document: str, variables: dict[str, Any] | None = None) -> None:
    payload: dict[str, Any] = {"query": document}
    if variables is not None:
        payload["variables"] = variables
    response = api.http.post("/graphql", json=payload)
    found = problem(response)
    assert found is None, (found, document, variables)


@FUZZ
@given(document=from_schema(SDL, mode="query"))
def test_generated_queries(embedded_api: Api, document: str) -> None:
    check(embedded_api, document)


@FUZZ
@given(document=from_schema(SDL, mode="mutation"))
def test_generated_mutations(embedded_api: Api, document: str) -> None:
    check(embedded_api, document)


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    value=st.one_of(
        st.text(max_size=3000),
        st.integers(),
        st.none(),
        st.lists(st.text(max_size=5), max_size=5),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=5),
    )
)
def test_hostile_variable_values(embedded_api: Api, value: object) -> None:
    document = "mutation($i: SignInInput!) { signIn(input: $i) { __typename } }"
    for field in ("tenant", "username", "password"):
        check(
            embedded_api,
            document,
            {"i": {"tenant": "shop", "username": "a@shop.example", "password": "x", field: value}},
        )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(200, json={"data": None, "errors": [{"message": MASKED}]}), "a masked"),
        (
            httpx.Response(
                200,
                json={"data": {"signIn": None}, "errors": [{"message": "Syntax Error"}, {"message": MASKED}]},
            ),
            "a masked",
        ),
        (httpx.Response(400, json={"errors": [{"message": MASKED}]}), "a masked"),
        (httpx.Response(500, json={"data": {"signIn": {"__typename": "SignInSuccess"}}}), "status 500"),
        (httpx.Response(502, text="Bad Gateway"), "status 502"),
        (httpx.Response(200, text="<html>oops</html>"), "not JSON"),
        (httpx.Response(200, json={"data": {"signIn": {"__typename": "RegistrationError"}}}), None),
        (httpx.Response(200, json={"data": None, "errors": [{"message": "Syntax Error: Expected Name"}]}), None),
        (httpx.Response(413, text="Request Entity Too Large"), None),
    ],
    ids=[
        "masked-alone",
        "masked-among-others",
        "masked-in-a-400",
        "500-with-data",
        "502-text",
        "200-not-json",
        "refusal-in-data",
        "validation-error",
        "413-text",
    ],
)
def test_the_check_fails_on_what_the_fuzzer_must_never_see(response: httpx.Response, expected: str | None) -> None:
    found = problem(response)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert expected in found


def test_check_fails_when_the_server_answers_a_masked_error() -> None:
    """check() itself, against a fabricated server that masks an exception as GraphQL servers do."""

    def masking(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": None, "errors": [{"message": MASKED, "path": ["signIn"]}]})

    with httpx.Client(base_url="http://fabricated", transport=httpx.MockTransport(masking)) as http:
        fabricated = Api(http=http, cognito=InProcessCognito(http, ManualClock()))
        with pytest.raises(AssertionError, match="masked"):
            check(fabricated, "mutation { signIn(input: {}) { __typename } }", {"i": {}})
        with pytest.raises(AssertionError, match="masked"):
            check(fabricated, "{ __typename }")
