"""Guessing confirmation codes: Cognito's attempt limit, surfaced as TOO_MANY_ATTEMPTS."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Api
from tests.test_signup_flow import confirm, resend, sign_up, wrong


def test_code_guessing_locks_the_user_even_against_the_right_code(api: Api, unique: str) -> None:
    username = f"guess-{unique}@shop.example"
    sign_up(api, username)
    code = api.last_code("shop", username)
    for _ in range(5):
        assert confirm(api, username, wrong(code))["code"] == "CODE_MISMATCH"
    locked = confirm(api, username, code)
    assert (locked["__typename"], locked["code"]) == ("RegistrationError", "TOO_MANY_ATTEMPTS")
    assert locked["retryAfterSeconds"]
    assert locked["retryAfterSeconds"] > 0
    resend(api, username)  # a new code does not lift the lock
    assert confirm(api, username, api.last_code("shop", username))["code"] == "TOO_MANY_ATTEMPTS"
    api.advance(timedelta(minutes=16))
    assert confirm(api, username, api.last_code("shop", username))["userStatus"] == "CONFIRMED"
