"""Cognito failing under the API: the aws backend against `regapi cognito serve` behind a fault-injecting
proxy (tests/helpers/proxy.py), over real HTTP.

Every fault (a hang, throttling, a 5xx, a refused or reset connection, a lost answer, a pool that does
not exist) is a typed SERVICE_UNAVAILABLE with retryAfterSeconds, for public and admin operations, and
comes within the Cognito budget (REGAPI_COGNITO_TIMEOUT, 1 s here). Lost answers: test_lost_answers.py.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import Settings, SettingsError
from tests.helpers import ACME_KEY, SHOP_KEY
from tests.helpers.burst import burst_to, result
from tests.helpers.client import Api
from tests.helpers.documents import CONFIRM_SIGN_UP, INVITE_USER, RESEND_CODE, SIGN_IN, SIGN_UP, attrs
from tests.helpers.flows import confirm, sign_up
from tests.helpers.proxy import CLIENT_TIMEOUT, Fault, FaultProxy, proxied_api

BUDGET = "1"  # REGAPI_COGNITO_TIMEOUT of the API under test, in seconds
GUILD_KEY, NORTH_KEY = "guild-admin-key", "north-admin-key"
GHOST_POOL_ID = "us-east-1_NoSuchPool"

INVITATION = "query($t: ID!, $u: String!) { invitation(tenant: $t, username: $u) { status } }"
INVITATIONS = "query($t: ID!) { invitations(tenant: $t) { username status } }"
PENDING = "query($t: ID!) { pendingSignUps(tenant: $t) { username } }"
RESEND_INVITATION = """
mutation($i: ResendInvitationInput!) {
  resendInvitation(input: $i) { __typename ... on RegistrationError { code retryAfterSeconds } }
}
"""
APPROVE = """
mutation($i: ApproveSignUpInput!) {
  approveSignUp(input: $i) { __typename ... on RegistrationError { code retryAfterSeconds } }
}
"""


@pytest.fixture(scope="module")
def faulty(
    proxy: FaultProxy,
    standalone_cognito: str,
    policy_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    log_capture: list[str],
) -> Iterator[Api]:
    target = tmp_path_factory.mktemp("fault-policies")
    with proxied_api(
        proxy, standalone_cognito, policy_dir, target, log_capture, adjust=_add_ghost, REGAPI_COGNITO_TIMEOUT=BUDGET
    ) as api:
        yield api


def _add_ghost(target: Path) -> None:
    """A tenant whose policy names a pool and app client the endpoint does not have (an operator's slip)."""
    ghost = yaml.safe_load((target / "shop.yaml").read_text())
    ghost["cognito"] = {"user_pool": "ghost", "user_pool_id": GHOST_POOL_ID, "client_id": "nosuchclient0000"}
    (target / "ghost.yaml").write_text(yaml.safe_dump(ghost))


@pytest.fixture(autouse=True)
def address(faulty: Api) -> Iterator[str]:
    """Each test from its own address, so that the per-address limits count one test's requests."""
    value = random_address()
    faulty.http.headers["X-Forwarded-For"] = value
    yield value
    faulty.http.headers.pop("X-Forwarded-For", None)


def code_of(body: dict[str, Any]) -> tuple[str, int | None]:
    """The code (and retryAfterSeconds) of a refusal: a union member's, or a top-level error's."""
    if body.get("errors"):
        extensions = body["errors"][0].get("extensions") or {}
        return str(extensions.get("code", body["errors"][0]["message"])), extensions.get("retryAfterSeconds")
    value = result(body)
    return str(value.get("code") or value["__typename"]), value.get("retryAfterSeconds")


def invite(api: Api, username: str) -> Any:
    email = f"{username}@acme.example"
    variables = {
        "input": {
            "tenant": "acme",
            "username": username,
            "attributes": attrs(email=email, custom_employee_id="E123456"),
        }
    }
    return api.data(INVITE_USER, variables, token=ACME_KEY)


def operations(unique: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """A public and an admin call of every family: (document, variables, API key)."""
    shop = f"f-{unique}@shop.example"
    return [
        (
            SIGN_UP,
            {
                "input": {
                    "tenant": "shop",
                    "username": shop,
                    "password": "pw long 1234",
                    "attributes": attrs(name="F", custom_plan="pro"),
                }
            },
            None,
        ),
        (CONFIRM_SIGN_UP, {"input": {"tenant": "shop", "username": shop, "code": "123456"}}, None),
        (RESEND_CODE, {"input": {"tenant": "shop", "username": shop}}, None),
        (SIGN_IN, {"input": {"tenant": "shop", "username": shop, "password": "pw long 1234"}}, None),
        (
            SIGN_IN,
            {"input": {"tenant": "north", "username": f"n-{unique}@regional.example", "password": "pw 12345"}},
            None,
        ),
        (
            INVITE_USER,
            {"input": {"tenant": "shop", "username": f"i-{unique}@shop.example", "attributes": []}},
            SHOP_KEY,
        ),
        (RESEND_INVITATION, {"i": {"tenant": "acme", "username": f"r{unique}"}}, ACME_KEY),
        (APPROVE, {"i": {"tenant": "guild", "username": f"a-{unique}@guild.example"}}, GUILD_KEY),
        (INVITATION, {"t": "acme", "u": f"q{unique}"}, ACME_KEY),
        (INVITATIONS, {"t": "acme"}, ACME_KEY),
        (PENDING, {"t": "guild"}, GUILD_KEY),
    ]


def random_address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def send_all(api: Api, calls: list[tuple[str, dict[str, Any], str | None]]) -> list[dict[str, Any]]:
    """Every call at once (connections opened first, then released together), each from its own address
    so that no per-address limit answers in Cognito's place."""
    targets = [
        (
            api.http.base_url,
            {"X-Forwarded-For": random_address(), **({"Authorization": f"Bearer {key}"} if key else {})},
        )
        for _, _, key in calls
    ]
    return burst_to(targets, [(query, variables) for query, variables, _ in calls], timeout=CLIENT_TIMEOUT)


def all_unavailable(bodies: list[dict[str, Any]]) -> None:
    codes = [code_of(body) for body in bodies]
    assert {code for code, _ in codes} == {"SERVICE_UNAVAILABLE"}, codes
    # The union members say when to try again (top-level errors carry the code only).
    assert all(wait for (_, wait), body in zip(codes, bodies, strict=True) if not body.get("errors")), codes


def test_a_hung_cognito_answers_service_unavailable_within_the_budget(
    faulty: Api, proxy: FaultProxy, unique: str
) -> None:
    """More calls than there are slots for Cognito calls, into a hung endpoint: each answer comes, none
    waits for another's slot beyond its own deadline, and /healthz answers meanwhile."""
    calls = operations(unique) + [
        (
            SIGN_UP,
            {
                "input": {
                    "tenant": "shop",
                    "username": f"b{i}-{unique}@shop.example",
                    "password": "pw long 1234",
                    "attributes": attrs(name="B", custom_plan="free"),
                }
            },
            None,
        )
        for i in range(45)
    ]
    answers: list[dict[str, Any]] = []
    with proxy.fault(Fault.HANG):
        started = time.monotonic()
        sender = threading.Thread(target=lambda: answers.extend(send_all(faulty, calls)))
        sender.start()
        assert proxy.any_held.wait(CLIENT_TIMEOUT)
        assert faulty.http.get("/healthz").status_code == 200
        assert proxy.held, "/healthz answered while Cognito calls hung"
        sender.join(CLIENT_TIMEOUT + 10)
        worst = time.monotonic() - started
        most = proxy.most_held
    assert len(answers) == len(calls)
    all_unavailable(answers)
    assert most == 40, most  # the slots filled, and never more Cognito calls at once
    print(
        f"\nhung Cognito, REGAPI_COGNITO_TIMEOUT={BUDGET}: {len(calls)} calls all answered"
        f" {worst:.2f} s after the burst began (connections opened included)"
    )


@pytest.mark.parametrize("fault", [Fault.THROTTLE, Fault.INTERNAL, Fault.UNAVAILABLE, Fault.RESET, Fault.REFUSE])
def test_every_fault_is_service_unavailable_for_public_and_admin_calls(
    faulty: Api, proxy: FaultProxy, unique: str, fault: Fault
) -> None:
    with proxy.fault(fault):
        bodies = send_all(faulty, operations(unique))
    all_unavailable(bodies)
    assert faulty.http.get("/healthz").status_code == 200


def test_a_pool_that_does_not_exist_is_unavailable_and_logged_for_the_operator(
    faulty: Api, unique: str, log_capture: list[str]
) -> None:
    logged = len(log_capture)
    assert (
        code_of(
            faulty.gql(
                SIGN_UP,
                {
                    "input": {
                        "tenant": "ghost",
                        "username": f"g-{unique}@shop.example",
                        "password": "pw long 1234",
                        "attributes": attrs(name="G", custom_plan="pro"),
                    }
                },
            )
        )[0]
        == "SERVICE_UNAVAILABLE"
    )
    variables = {"input": {"tenant": "ghost", "username": f"gi-{unique}@shop.example", "attributes": []}}
    assert code_of(faulty.gql(INVITE_USER, variables, token=SHOP_KEY))[0] == "SERVICE_UNAVAILABLE"
    errors = [line for line in log_capture[logged:] if " ERROR " in line and GHOST_POOL_ID in line]
    assert len(errors) == 2, log_capture[logged:]


def test_failing_admin_lookups_are_service_unavailable(faulty: Api, proxy: FaultProxy, unique: str) -> None:
    """AdminGetUser and ListUsers behind resendInvitation, invitation(s), approval, the shared-pool membership
    check and the first sign-in's invitation-expiry check."""
    invited = f"lk{unique}"
    invite(faulty, invited)
    temporary = faulty.temporary_password("acme", invited)
    applicant = f"lk-{unique}@guild.example"
    assert sign_up(faulty, applicant, tenant="guild", password="guildpass1", name="L")["nextStep"] == "AWAIT_APPROVAL"
    calls: list[tuple[str, dict[str, Any], str | None]] = [
        (RESEND_INVITATION, {"i": {"tenant": "acme", "username": invited}}, ACME_KEY),
        (INVITATION, {"t": "acme", "u": invited}, ACME_KEY),
        (INVITATIONS, {"t": "acme"}, ACME_KEY),
        (APPROVE, {"i": {"tenant": "guild", "username": applicant}}, GUILD_KEY),
        (PENDING, {"t": "guild"}, GUILD_KEY),
        (
            CONFIRM_SIGN_UP,
            {"input": {"tenant": "north", "username": f"n-{unique}@regional.example", "code": "123456"}},
            None,
        ),
        (SIGN_IN, {"input": {"tenant": "acme", "username": invited, "password": temporary}}, None),
    ]
    with proxy.fault(Fault.INTERNAL, only={"AdminGetUser", "ListUsers"}):
        for query, variables, key in calls:
            body = faulty.gql(query, variables, token=key)
            # Queries answer a top-level error, mutations a RegistrationError: both say how long to wait.
            assert code_of(body) == ("SERVICE_UNAVAILABLE", 5), (query, body)
    assert faulty.data(INVITATION, {"t": "acme", "u": invited}, token=ACME_KEY) == {"status": "PENDING"}  # unharmed


def test_jwks_fetch_failures_are_service_unavailable(faulty: Api, proxy: FaultProxy, unique: str) -> None:
    """An admin's access token is checked against keys fetched from the endpoint: when that fails, the
    answer is SERVICE_UNAVAILABLE, not a refusal of the admin nor a masked error."""
    token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImR1bW15In0.eyJzdWIiOiJ4In0.c2ln"  # names a key: a fetch is needed
    variables = {
        "input": {"tenant": "club", "username": f"t{unique}", "attributes": attrs(email=f"t{unique}@club.example")}
    }
    # The issuer is asked for first (the endpoint's discovery document), and kept once known.
    for fault, only in (
        (Fault.UNAVAILABLE, "openid-configuration"),
        (Fault.INTERNAL, "jwks.json"),
        (Fault.HANG, "jwks.json"),
    ):
        with proxy.fault(fault, only={only}):
            assert code_of(faulty.gql(INVITE_USER, variables, token=token)) == ("SERVICE_UNAVAILABLE", 5), fault


def test_only_calls_that_changed_nothing_are_sent_again(faulty: Api, proxy: FaultProxy, unique: str) -> None:
    """Throttled: Cognito did nothing, so the call is tried again within the budget. A 5xx on a call that
    changes something may have changed it: never sent twice. A read is tried again after any fault."""
    username = f"rt-{unique}@shop.example"
    with proxy.fault(Fault.THROTTLE, only={"SignUp"}, times=1):
        assert sign_up(faulty, username)["nextStep"] == "CONFIRM_SIGN_UP"
    assert (proxy.seen["SignUp"] - proxy.forwarded["SignUp"], proxy.forwarded["SignUp"]) >= (1, 1)
    before = proxy.seen["ConfirmSignUp"]
    with proxy.fault(Fault.INTERNAL, only={"ConfirmSignUp"}):
        assert confirm(faulty, username, faulty.last_code("shop", username))["code"] == "SERVICE_UNAVAILABLE"
    assert proxy.seen["ConfirmSignUp"] == before + 1
    invited = f"rd{unique}"
    invite(faulty, invited)
    with proxy.fault(Fault.INTERNAL, only={"AdminGetUser"}, times=1):
        assert faulty.data(INVITATION, {"t": "acme", "u": invited}, token=ACME_KEY) == {"status": "PENDING"}


@pytest.mark.parametrize("value", ["0", "-1", "ten", "nan", "inf", "61", ""])
def test_a_cognito_timeout_that_is_not_a_sensible_number_of_seconds_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="REGAPI_COGNITO_TIMEOUT"):
        Settings.from_env({"REGAPI_COGNITO_TIMEOUT": value})


def test_the_cognito_timeout_defaults_to_ten_seconds_and_takes_fractions() -> None:
    assert Settings.from_env({}).cognito_timeout == 10
    assert Settings.from_env({"REGAPI_COGNITO_TIMEOUT": "2.5"}).cognito_timeout == 2.5
