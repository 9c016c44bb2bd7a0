"""Each document is parsed and validated once (api.schema.documents); persisted queries by hash."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from api.schema import build_schema
from tests.helpers.burst import burst_bodies
from tests.helpers.client import Api
from tests.helpers.documents import REGISTRATION_FORM

FORM_VARIABLES = {"tenant": "shop", "operation": "SIGN_UP"}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _persisted(digest: str, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "variables": FORM_VARIABLES,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    if query is not None:
        body["query"] = query
    return body


def test_a_document_is_judged_once_and_every_request_still_executes() -> None:
    schema = build_schema()
    typo = "{ registrationFrom { enabled } }"
    for _ in range(3):
        assert asyncio.run(schema.execute("{ __typename }")).data == {"__typename": "Query"}
        assert asyncio.run(schema.execute(typo)).errors  # a refusal is kept with its text too
    info = schema.documents.judge.cache_info()
    assert (info.misses, info.hits) == (2, 4)


def test_a_schema_keeping_no_verdicts_judges_every_time() -> None:
    schema = build_schema(documents=0)
    for _ in range(2):
        assert asyncio.run(schema.execute("{ __typename }")).data == {"__typename": "Query"}
    assert schema.documents.judge.cache_info().misses == 2


def test_the_limits_hold_for_a_document_seen_before() -> None:
    schema = build_schema()
    aliases = "query { " + " ".join(f"a{n}: __typename" for n in range(20)) + " }"
    for _ in range(2):
        result = asyncio.run(schema.execute(aliases))
        assert result.data is None
        assert result.errors
        assert "aliases" in result.errors[0].message


def test_a_persisted_query_runs_by_hash_once_sent_with_its_text(embedded_api: Api) -> None:
    digest = _sha(REGISTRATION_FORM)
    unknown = embedded_api.http.post("/graphql", json=_persisted(digest)).json()
    # The words Apollo Client and urql look for before retrying with the document's text.
    assert unknown["errors"][0]["message"] == "PersistedQueryNotFound"
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    sent = embedded_api.http.post("/graphql", json=_persisted(digest, REGISTRATION_FORM)).json()
    assert sent["data"]["registrationForm"]["tenant"] == "shop"
    by_hash = embedded_api.http.post("/graphql", json=_persisted(digest)).json()
    assert by_hash == sent


def test_a_hash_never_stands_for_another_or_a_refused_document(embedded_api: Api) -> None:
    digest = _sha(REGISTRATION_FORM)
    other = "query Form { __typename }"
    mismatch = embedded_api.http.post("/graphql", json=_persisted(digest, other)).json()
    assert mismatch["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "data" not in mismatch or mismatch["data"] is None
    refused = "query { " + " ".join(f"a{n}: __typename" for n in range(20)) + " }"
    answered = embedded_api.http.post("/graphql", json=_persisted(_sha(refused), refused)).json()
    assert "aliases" in answered["errors"][0]["message"]
    later = embedded_api.http.post("/graphql", json=_persisted(_sha(refused))).json()
    assert later["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_persisted_query_versions_other_than_1_are_refused(embedded_api: Api) -> None:
    body = _persisted(_sha(REGISTRATION_FORM), REGISTRATION_FORM)
    body["extensions"]["persistedQuery"]["version"] = 2
    answered = embedded_api.http.post("/graphql", json=body).json()
    assert answered["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_a_body_without_query_or_hash_is_still_refused(embedded_api: Api) -> None:
    response = embedded_api.http.post("/graphql", json={"variables": FORM_VARIABLES, "extensions": {}})
    assert response.status_code == 400


def test_the_memory_of_documents_and_hashes_is_bounded() -> None:
    schema = build_schema(documents=2)
    texts = [f"query Q{n} {{ __typename }}" for n in range(3)]
    for text in texts:
        verdict = schema.documents.verdict(text, {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}})
        assert verdict.document is not None
        assert not verdict.errors
    assert schema.documents.judge.cache_info().currsize == 2
    evicted = schema.documents.verdict(None, {"persistedQuery": {"version": 1, "sha256Hash": _sha(texts[0])}})
    assert evicted.errors[0].extensions == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    kept = schema.documents.verdict(None, {"persistedQuery": {"version": 1, "sha256Hash": _sha(texts[2])}})
    assert kept.document is not None


def test_persisted_queries_hold_under_a_burst(embedded_api: Api) -> None:
    """Released together: one new document sent with its hash by many clients, many new documents at once,
    and a document sent before asked for by hash alone; every one answers, and every hash is known after."""
    known = "query Known { __typename }"
    embedded_api.http.post("/graphql", json=_persisted(_sha(known), known))
    shared = "query Shared { __typename }"
    distinct = [f"query Distinct{n} {{ __typename }}" for n in range(12)]
    bodies = [_persisted(_sha(shared), shared)] * 12 + [_persisted(_sha(text), text) for text in distinct]
    bodies += [_persisted(_sha(known))] * 12
    target = (embedded_api.http.base_url, dict(embedded_api.http.headers))
    answers = burst_bodies([target] * len(bodies), bodies)
    assert all(answer == {"data": {"__typename": "Query"}} for answer in answers), answers
    for text in [shared, *distinct]:
        by_hash = embedded_api.http.post("/graphql", json=_persisted(_sha(text))).json()
        assert by_hash == {"data": {"__typename": "Query"}}
