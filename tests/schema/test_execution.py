"""The schema's execute (api.schema.execution): what nobody expected is answered masked, as strawberry did."""

from __future__ import annotations

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
    before = len(log_capture)
    response = embedded_api.http.post(
        "/graphql", json={"query": REGISTRATION_FORM, "variables": {"tenant": "shop", "operation": "SIGN_UP"}}
    )
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [{"message": "Unexpected error."}]}
    assert "secret-detail-42" not in response.text
    # Its type and where, not its text (which may hold input); the traceback only at DEBUG.
    logged = [line.split("\\n")[0] for line in log_capture[before:] if "unexpected error in" in line]
    assert logged == ["regapi.graphql ERROR unexpected error in -: RuntimeError"]
