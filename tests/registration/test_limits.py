"""Attempt limits, kept by regapi for every username, existing or not, and for every client address."""

from __future__ import annotations

import time
from datetime import timedelta

from tests.helpers.client import Api
from tests.helpers.flows import confirm, resend, sign_in, sign_up, wrong

PASSWORD = "quick pass 1"


def test_code_guessing_locks_the_user_even_against_the_right_code(api: Api, unique: str) -> None:
    username = f"guess-{unique}@quick.example"
    sign_up(api, username, tenant="quick", password=PASSWORD)
    code = api.last_code("quick", username)
    for _ in range(5):
        assert confirm(api, username, wrong(code), tenant="quick")["code"] == "CODE_MISMATCH"
    locked = confirm(api, username, code, tenant="quick")
    assert (locked["__typename"], locked["code"]) == ("RegistrationError", "TOO_MANY_ATTEMPTS")
    assert 0 < locked["retryAfterSeconds"] <= 2
    resend(api, username, tenant="quick")  # a new code does not lift the lock
    assert confirm(api, username, api.last_code("quick", username), tenant="quick")["code"] == "TOO_MANY_ATTEMPTS"
    time.sleep(2.1)  # the tenant's window (5 per 2 seconds); Cognito's own lock needs its clock moved
    api.advance(timedelta(minutes=16))
    assert confirm(api, username, api.last_code("quick", username), tenant="quick")["userStatus"] == "CONFIRMED"


def test_an_unknown_user_is_locked_the_same_way(api: Api, unique: str) -> None:
    """Counting failures for any username keeps the lock from telling who exists."""
    ghost = f"ghost-{unique}@quick.example"
    answers = [confirm(api, ghost, "123456", tenant="quick")["code"] for _ in range(6)]
    assert answers == ["CODE_MISMATCH"] * 5 + ["TOO_MANY_ATTEMPTS"]


def test_one_address_is_limited_across_usernames(api: Api, unique: str) -> None:
    results = [sign_in(api, f"a{n}-{unique}@quick.example", PASSWORD, tenant="quick")["code"] for n in range(13)]
    assert results[:12] == ["NOT_AUTHORIZED"] * 12
    assert results[12] == "TOO_MANY_ATTEMPTS"
    api.http.headers["X-Forwarded-For"] = "10.250.250.250"  # someone else
    assert sign_in(api, f"b-{unique}@quick.example", PASSWORD, tenant="quick")["code"] == "NOT_AUTHORIZED"


def test_limits_of_the_same_rate_count_apart(api: Api, unique: str) -> None:
    """`twin` has wrong_codes_per_user and wrong_passwords_per_user both at "3 per 15 minutes": each
    counter is keyed by its limit's name, so used-up codes do not lock sign-in, nor the reverse."""
    username = f"twin-{unique}@twin.example"
    sign_up(api, username, tenant="twin", password=PASSWORD)
    code = api.last_code("twin", username)
    assert confirm(api, username, code, tenant="twin")["userStatus"] == "CONFIRMED"
    answers = [confirm(api, username, wrong(code), tenant="twin")["code"] for _ in range(4)]
    assert answers == ["CODE_MISMATCH"] * 3 + ["TOO_MANY_ATTEMPTS"]
    assert sign_in(api, username, PASSWORD, tenant="twin")["__typename"] == "SignInSuccess"

    other = f"twin2-{unique}@twin.example"
    sign_up(api, other, tenant="twin", password=PASSWORD)
    passwords = [sign_in(api, other, "wrong pass 9", tenant="twin")["code"] for _ in range(4)]
    assert passwords == ["NOT_AUTHORIZED"] * 3 + ["TOO_MANY_ATTEMPTS"]
    answer = confirm(api, other, api.last_code("twin", other), tenant="twin")
    assert answer == {"__typename": "ConfirmSignUpSuccess", "userStatus": "CONFIRMED"}
