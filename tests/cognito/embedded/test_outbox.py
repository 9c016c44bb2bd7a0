"""GET /dev/outbox: what the embedded Cognito sent, for people and tests."""

from __future__ import annotations

from datetime import datetime

from tests.helpers.client import Api
from tests.helpers.flows import sign_up


def test_outbox_lists_messages_by_tenant_and_username(embedded_api: Api, unique: str) -> None:
    username = f"box-{unique}@shop.example"
    sign_up(embedded_api, username)
    (message,) = embedded_api.outbox("shop", username.upper())  # the username is normalised as the tenant says
    assert set(message) == {"tenant", "username", "kind", "destination", "code", "sentAt"}
    assert (message["tenant"], message["username"], message["kind"]) == ("shop", username, "SIGN_UP_CODE")
    assert message["destination"] == username
    assert datetime.fromisoformat(message["sentAt"]) <= embedded_api.now()
    assert embedded_api.outbox("acme", username) == []
    everything = embedded_api.http.get("/dev/outbox", params={"tenant": "shop"}).json()
    assert any(m["username"] == username for m in everything)
    assert embedded_api.http.get("/dev/outbox", params={"tenant": "nope"}).status_code == 404
