"""The schema's execute (api.schema.execution): what nobody expected is answered masked, as strawberry did."""

from __future__ import annotations

import logging

import pytest

from api.schema import execution
from tests.helpers.client import Api
from tests.helpers.documents import REGISTRATION_FORM


def test_an_unexpected_failure_is_answered_masked_and_logged_without_its_text(
    embedded_api: Api, log_capture: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret-detail-42")

    monkeypatch.setattr(execution, "execute", broken)
    # At INFO, as regapi serve logs (at DEBUG the line carries the traceback, for a developer).
    graphql_log = logging.getLogger("regapi.graphql")
    previous = graphql_log.level
    graphql_log.setLevel(logging.INFO)  # setLevel, not the attribute: the logger caches isEnabledFor
    before = len(log_capture)
    try:
        response = embedded_api.http.post(
            "/graphql", json={"query": REGISTRATION_FORM, "variables": {"tenant": "shop", "operation": "SIGN_UP"}}
        )
    finally:
        graphql_log.setLevel(previous)
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [{"message": "Unexpected error."}]}
    lines = log_capture[before:]
    # Its type and where, never its text (which may hold input).
    logged = [line for line in lines if "unexpected error in" in line]
    assert len(logged) == 1
    assert logged[0].startswith("regapi.graphql ERROR unexpected error in -: RuntimeError")
    assert not any("secret-detail-42" in line for line in lines)
