"""The GraphQL contract and the HTTP behaviour around it."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as build_sdl
from graphql.utilities import find_breaking_changes
from strawberry.printer import print_schema

from api.schema import build_schema
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_IN, SIGN_UP

SDL = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SDL.read_text(encoding="utf-8") == print_schema(build_schema()) + "\n", (
        "schema.graphql drifted: run `make schema` and review the diff"
    )


def test_no_breaking_changes_against_the_committed_contract() -> None:
    schema = build_schema()
    assert find_breaking_changes(build_sdl(SDL.read_text(encoding="utf-8")), schema._schema) == []


def test_batched_requests_are_refused(embedded_api: Api) -> None:
    body = [{"query": SIGN_IN, "variables": {"input": {"tenant": "shop", "username": "a@b.c", "password": "x"}}}] * 2
    response = embedded_api.http.post("/graphql", json=body)
    assert response.status_code == 400


def test_many_aliased_mutations_are_refused_whole(embedded_api: Api) -> None:
    aliases = " ".join(
        f'a{n}: signIn(input: {{tenant: "shop", username: "u{n}@shop.example", password: "pw"}}) {{ __typename }}'
        for n in range(20)
    )
    body = embedded_api.gql(f"mutation {{ {aliases} }}")
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]


def test_oversized_documents_stop_at_the_token_limit(embedded_api: Api) -> None:
    fields = " ".join("__typename" for _ in range(1200))
    body = embedded_api.gql(f"query {{ {fields} }}")
    assert body["data"] is None
    assert "tokens" in body["errors"][0]["message"]


def test_mutations_are_not_accepted_over_get(embedded_api: Api) -> None:
    response = embedded_api.http.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code in {400, 405}


def test_invalid_variables_never_echo_the_password(embedded_api: Api) -> None:
    password = "hunter2-is-my-password"
    variables = {"input": {"tenant": "shop", "username": "a@shop.example", "password": password}}  # no attributes
    response = embedded_api.http.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert response.status_code == 200
    body = response.json()
    assert body["errors"]
    assert password not in response.text
    assert "attributes" in body["errors"][0]["message"]


def test_misspelled_fields_never_echo_the_input(embedded_api: Api) -> None:
    secret = "hunter4-secret-value"
    variables = {"input": {"tenant": "shop", "username": "a@shop.example", "passwrd": secret, "attributes": []}}
    response = embedded_api.http.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert "Did you mean 'password'" in response.text
    assert secret not in response.text
    inline = f'mutation {{ signIn(input: {{tenant: "shop", username: "x", pasword: "{secret}"}}) {{ __typename }} }}'
    response = embedded_api.http.post("/graphql", json={"query": inline})
    assert response.json()["errors"]
    assert secret not in response.text
    wrong_type = {"input": {"tenant": "shop", "username": 12345678, "password": secret}}
    response = embedded_api.http.post("/graphql", json={"query": SIGN_IN, "variables": wrong_type})
    assert response.json()["errors"]
    assert "12345678" not in response.text
