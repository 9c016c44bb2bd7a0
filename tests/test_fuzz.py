"""Property-based fuzzing of the GraphQL API over HTTP: generated queries and mutations with hostile
values (huge and unicode strings, wrong types, nested inputs) must never produce a 5xx, a masked
"Unexpected error." (an exception escaping a resolver) or a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from tests.conftest import Api

SDL = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text(encoding="utf-8")
EXAMPLES = 150  # per operation type; the README quotes the total

FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def check(api: Api, document: str) -> None:
    response = api.http.post("/graphql", json={"query": document})
    assert response.status_code < 500, (response.status_code, document)
    if response.status_code == 200:
        errors = response.json().get("errors") or []
        assert all(error.get("message") != "Unexpected error." for error in errors), document


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
        variables = {"i": {"tenant": "shop", "username": "a@shop.example", "password": "x", field: value}}
        response = embedded_api.http.post("/graphql", json={"query": document, "variables": variables})
        assert response.status_code < 500
        errors = response.json().get("errors") or [] if response.status_code == 200 else []
        assert all(error.get("message") != "Unexpected error." for error in errors)
