"""The README's "Verifying a delivery" receiver, run as a partner would run it: against headers and a body
regapi's own signing made, a tampered body, and a retry of the same webhook-id."""

from __future__ import annotations

import base64
import contextlib
import io
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest

from api.events.model import Event, EventType
from api.events.signing import headers, secret
from tests.helpers import ROOT


def readme_receiver() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Verifying a delivery", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "the README's receiver example is gone"
    return found.group(1)


def test_the_readmes_receiver_verifies_what_regapi_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("SHOP_CRM_WEBHOOK_SECRET", key)
    namespace: dict[str, Any] = {}
    exec(compile(readme_receiver(), "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    event = Event(
        "msg_" + secrets.token_hex(16),
        EventType.USER_SIGNED_UP,
        "shop",
        datetime.now(UTC),
        {"tenant": "shop", "username": "ann@shop.example", "sub": "s-1", "attributes": {"name": "Ann"}},
    )
    sent = headers(event, secret("SHOP_CRM_WEBHOOK_SECRET"), datetime.now(UTC))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert namespace["receive"](event.body(), sent) == 204
        assert namespace["receive"](event.body(), sent) == 204  # the retry: dropped as a duplicate
        assert namespace["receive"](event.body().replace(b"Ann", b"Eve"), sent) == 401
    assert printed.getvalue() == "user.signed_up s-1 {'name': 'Ann'}\n"  # handled once
