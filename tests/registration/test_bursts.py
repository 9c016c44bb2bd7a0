"""Attempt limits under bursts: requests released together get no further than requests sent one by one.

Each burst opens its connections first and releases every request at once (tests/helpers/burst.py).
Figures for the shop tenant's defaults: 10 wrong passwords, 5 wrong codes, 5 resends per user; 20
sign-ups per address.
"""

from __future__ import annotations

from collections import Counter

from tests.helpers.burst import burst, result
from tests.helpers.client import Api
from tests.helpers.documents import (
    CONFIRM_SIGN_IN,
    CONFIRM_SIGN_UP,
    FORGOT_PASSWORD,
    RESEND_CODE,
    SIGN_IN,
    SIGN_UP,
    attrs,
)
from tests.helpers.flows import PASSWORD, confirm, sign_up, wrong

SHOP = {"name": "Ann Example", "custom:plan": "pro"}
APPROVE_SIGN_UP = "mutation A($input: ApproveSignUpInput!) { approveSignUp(input: $input) { __typename } }"


def answers(bodies: list[dict[str, object]]) -> Counter[str]:
    counted: Counter[str] = Counter()
    for body in bodies:
        value = result(body)
        counted[value.get("code") or value["__typename"]] += 1
    return counted


def test_a_burst_of_wrong_passwords_evaluates_at_most_the_limit(api: Api, unique: str) -> None:
    username = f"burst-{unique}@shop.example"
    sign_up(api, username)
    confirm(api, username, api.last_code("shop", username))
    guesses = [f"guess pass {n}" for n in range(40)]
    api.secrets |= set(guesses)
    requests = [(SIGN_IN, {"input": {"tenant": "shop", "username": username, "password": p}}) for p in guesses]
    requests.insert(20, (SIGN_IN, {"input": {"tenant": "shop", "username": username, "password": PASSWORD}}))
    got = answers(burst(api.http.base_url, requests, api.http.headers))
    # At most the limit of wrong passwords reached Cognito; everything else waited.
    assert got["NOT_AUTHORIZED"] <= 10, got
    assert got["TOO_MANY_ATTEMPTS"] >= 30, got
    assert set(got) <= {"NOT_AUTHORIZED", "TOO_MANY_ATTEMPTS", "SignInSuccess"}, got
    # And the lock holds afterwards, for the right password too, once the failures are in.
    if got["NOT_AUTHORIZED"] == 10:
        locked = api.data(SIGN_IN, {"input": {"tenant": "shop", "username": username, "password": PASSWORD}})
        assert locked["code"] == "TOO_MANY_ATTEMPTS"


def test_a_burst_of_wrong_codes_evaluates_at_most_the_limit(api: Api, unique: str) -> None:
    """`twin` allows 3 wrong codes, fewer than Cognito's own lock (5), so regapi's limit is what holds."""
    username = f"codes-{unique}@twin.example"
    sign_up(api, username, tenant="twin")
    code = api.last_code("twin", username)
    guesses = [wrong(f"{(int(code) + n) % 1_000_000:06d}") for n in range(30)]
    api.secrets |= set(guesses)
    requests = [(CONFIRM_SIGN_UP, {"input": {"tenant": "twin", "username": username, "code": g}}) for g in guesses]
    got = answers(burst(api.http.base_url, requests, api.http.headers))
    assert got["CODE_MISMATCH"] <= 3, got
    assert got["CODE_MISMATCH"] + got["TOO_MANY_ATTEMPTS"] == 30, got
    assert confirm(api, username, code, tenant="twin")["code"] == "TOO_MANY_ATTEMPTS"  # even the right code


def test_a_burst_of_resends_sends_at_most_the_limit(api: Api, unique: str) -> None:
    username = f"resend-{unique}@shop.example"
    sign_up(api, username)
    requests = [(RESEND_CODE, {"input": {"tenant": "shop", "username": username}})] * 15
    got = answers(burst(api.http.base_url, requests, api.http.headers))
    assert got == Counter({"ResendConfirmationCodeSuccess": 5, "TOO_MANY_ATTEMPTS": 10}), got
    codes = [m for m in api.outbox("shop", username) if m["kind"] == "SIGN_UP_CODE"]
    assert len(codes) == 1 + 5  # the sign-up's code and five resends


def test_a_burst_of_sign_ups_from_one_address_stops_at_the_limit(api: Api, unique: str) -> None:
    requests = [
        (
            SIGN_UP,
            {
                "input": {
                    "tenant": "shop",
                    "username": f"many{n}-{unique}@shop.example",
                    "password": PASSWORD,
                    "attributes": attrs(name="Ann Example", custom_plan="pro"),
                }
            },
        )
        for n in range(30)
    ]
    got = answers(burst(api.http.base_url, requests, api.http.headers))
    assert got == Counter({"SignUpSuccess": 20, "TOO_MANY_ATTEMPTS": 10}), got


def test_a_burst_of_reset_requests_sends_at_most_the_limit(api: Api, unique: str) -> None:
    username = f"resetburst-{unique}@shop.example"
    sign_up(api, username)
    confirm(api, username, api.last_code("shop", username))
    requests = [(FORGOT_PASSWORD, {"input": {"tenant": "shop", "username": username}})] * 15
    got = answers(burst(api.http.base_url, requests, api.http.headers))
    assert got == Counter({"ForgotPasswordSuccess": 5, "TOO_MANY_ATTEMPTS": 10}), got  # resets_per_user: 5
    assert len([m for m in api.outbox("shop", username) if m["kind"] == "PASSWORD_RESET_CODE"]) == 5


def test_one_held_session_answered_by_a_burst_signs_in_once(api: Api, unique: str) -> None:
    username = f"proofburst-{unique}@guild.example"
    sign_up(api, username, tenant="guild", password=PASSWORD, email=username, name="Burst")
    api.data(APPROVE_SIGN_UP, {"input": {"tenant": "guild", "username": username}}, token="guild-admin-key")
    held = api.data(SIGN_IN, {"input": {"tenant": "guild", "username": username, "password": PASSWORD}})
    code = api.last_code("guild", username, "VERIFICATION_CODE")
    proof = {"input": {"tenant": "guild", "username": username, "session": held["session"], "code": code}}
    got = answers(burst(api.http.base_url, [(CONFIRM_SIGN_IN, proof)] * 8, api.http.headers))
    assert got["SignInSuccess"] == 1, got  # the session's one use, claimed before Cognito saw the code
    assert set(got) <= {"SignInSuccess", "INVALID_SESSION"}, got
