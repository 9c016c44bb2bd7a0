"""Challenge sessions: answered once, and only within the pool's AuthSessionValidity (3 minutes).

regapi keeps both rules itself, whatever the Cognito endpoint enforces. A replay is sent with a password
the policy refuses: were the session accepted, the engine would answer PolicyDenied; regapi answers
INVALID_SESSION before the engine is asked, so the refusal is visibly regapi's own.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from tests.helpers import ACME_KEY
from tests.helpers.burst import burst, result
from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, RESPOND_NEW_PASSWORD, attrs
from tests.helpers.flows import NEW_PASSWORD, respond, sign_in

WEAK = "weak"


def challenge(api: Api, username: str) -> Any:
    attributes = attrs(email=f"{username}@acme.example", custom_employee_id="E123456")
    invited = api.data(
        INVITE_USER, {"input": {"tenant": "acme", "username": username, "attributes": attributes}}, token=ACME_KEY
    )
    assert invited["__typename"] == "InviteUserSuccess"
    started = sign_in(api, username, api.temporary_password("acme", username), tenant="acme")
    assert started["__typename"] == "NewPasswordRequired"
    api.secrets.add(started["session"])
    return started


def test_a_session_is_answered_once(api: Api, unique: str) -> None:
    username = f"once-{unique}"
    session = challenge(api, username)["session"]
    assert respond(api, username, session, name="Once Example")["__typename"] == "SignInSuccess"
    replay = respond(api, username, session, password=WEAK, name="Once Example")
    assert (replay["__typename"], replay["code"]) == ("RegistrationError", "INVALID_SESSION")


def test_a_refused_answer_leaves_the_session_usable(api: Api, unique: str) -> None:
    username = f"retry-{unique}"
    session = challenge(api, username)["session"]
    assert respond(api, username, session, password=WEAK, name="Retry Example")["__typename"] == "PolicyDenied"
    assert respond(api, username, session, name="Retry Example")["__typename"] == "SignInSuccess"


def test_answers_released_together_sign_in_once(api: Api, unique: str) -> None:
    username = f"race-{unique}"
    session = challenge(api, username)["session"]
    variables = {
        "input": {
            "tenant": "acme",
            "username": username,
            "session": session,
            "newPassword": NEW_PASSWORD,
            "attributes": attrs(name="Race Example"),
        }
    }
    bodies = burst(api.http.base_url, [(RESPOND_NEW_PASSWORD, variables)] * 8, api.http.headers)
    got = Counter(result(b).get("code") or result(b)["__typename"] for b in bodies)
    assert got == Counter({"SignInSuccess": 1, "INVALID_SESSION": 7}), got


def test_a_session_expires_with_the_pools_validity(embedded_api: Api, unique: str) -> None:
    username = f"late-{unique}"
    session = challenge(embedded_api, username)["session"]
    embedded_api.advance(timedelta(minutes=3, seconds=1))
    late = respond(embedded_api, username, session, password=WEAK, name="Late Example")
    assert (late["__typename"], late["code"]) == ("RegistrationError", "INVALID_SESSION")


def test_junk_sessions_for_a_name_do_not_lock_its_sign_in(api: Api, unique: str) -> None:
    """A session regapi never sealed for this user counts for the sender's address only."""
    username = f"junk-{unique}"
    session = challenge(api, username)["session"]
    junk = [respond(api, username, f"rs1.junk{n}.x", name="Junk Example")["code"] for n in range(12)]
    assert junk == ["INVALID_SESSION"] * 12  # more than wrong_passwords_per_user (10)
    assert respond(api, username, session, name="Junk Example")["__typename"] == "SignInSuccess"
