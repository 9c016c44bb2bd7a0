"""Tokens held back until an address is proven: unreadable by the client, bound to tenant and user, timed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from api.registration.held_tokens import VALIDITY, HeldTokens
from api.registration.sessions import SessionSealer

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ACCESS, REFRESH = "eyJ.access-token-body.sig", "refresh-token-value"


def test_a_held_session_opens_only_for_its_tenant_and_user_within_its_time() -> None:
    held = HeldTokens(SessionSealer(b"k" * 32))
    session = held.hold("coop", "ann@coop.example", ACCESS, REFRESH, now=NOW)
    raw = base64.urlsafe_b64decode(session.removeprefix("rv1.") + "=" * (-len(session) % 4))
    assert b"access-token-body" not in raw
    assert REFRESH.encode() not in raw
    opened = held.release(session, "coop", "ann@coop.example", now=NOW + VALIDITY - timedelta(seconds=1))
    assert opened is not None
    assert (opened.access_token, opened.refresh_token) == (ACCESS, REFRESH)
    assert held.release(session, "coop", "ann@coop.example", now=NOW + VALIDITY) is None
    assert held.release(session, "guild", "ann@coop.example", now=NOW) is None
    assert held.release(session, "coop", "bob@coop.example", now=NOW) is None
    assert held.release(session[:-3] + "AAA", "coop", "ann@coop.example", now=NOW) is None
    assert HeldTokens(SessionSealer(b"x" * 32)).release(session, "coop", "ann@coop.example", now=NOW) is None
    assert held.release("rv1.!!", "coop", "ann@coop.example", now=NOW) is None
