"""Cognito acted but its answer was lost (timed out, or the connection dropped): the client's retry gets a
consistent answer, never a second user nor one stuck half made. The aws backend against
`regapi cognito serve` behind the fault-injecting proxy (tests/helpers/proxy.py), over real HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ACME_KEY
from tests.helpers.client import Api
from tests.helpers.documents import INVITE_USER, attrs
from tests.helpers.flows import confirm, resend, sign_in, sign_up
from tests.helpers.proxy import Fault, FaultProxy, proxied_api

GUILD_KEY = "guild-admin-key"
INVITATION = "query($t: ID!, $u: String!) { invitation(tenant: $t, username: $u) { status } }"
PENDING = "query($t: ID!) { pendingSignUps(tenant: $t) { username } }"
APPROVE = "mutation($i: ApproveSignUpInput!) { approveSignUp(input: $i) { __typename } }"


@pytest.fixture(scope="module")
def api(
    proxy: FaultProxy,
    standalone_cognito: str,
    policy_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    log_capture: list[str],
) -> Iterator[Api]:
    target = tmp_path_factory.mktemp("lost-policies")
    with proxied_api(proxy, standalone_cognito, policy_dir, target, log_capture, REGAPI_COGNITO_TIMEOUT="1") as served:
        served.http.headers["X-Forwarded-For"] = f"10.8.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        yield served


def invite(api: Api, username: str) -> Any:
    attributes = attrs(email=f"{username}@acme.example", custom_employee_id="E123456")
    return api.data(
        INVITE_USER, {"input": {"tenant": "acme", "username": username, "attributes": attributes}}, token=ACME_KEY
    )


@pytest.mark.parametrize("fault", [Fault.LOSE, Fault.DROP])
def test_a_lost_invitation_answer_then_the_retry_is_consistent(
    api: Api, proxy: FaultProxy, unique: str, fault: Fault
) -> None:
    """Cognito created the user and the answer was lost (timed out, or the connection dropped)."""
    username = f"lost{unique}"
    sent = proxy.forwarded["AdminCreateUser"]
    with proxy.fault(fault, only={"AdminCreateUser"}):
        assert invite(api, username)["code"] == "SERVICE_UNAVAILABLE"
    assert proxy.forwarded["AdminCreateUser"] == sent + 1  # Cognito acted once, and was not asked again
    assert invite(api, username)["code"] == "USERNAME_EXISTS"  # the retry: the user is there, invited
    assert api.data(INVITATION, {"t": "acme", "u": username}, token=ACME_KEY) == {"status": "PENDING"}
    assert len([m for m in api.outbox("acme", username) if m["kind"] == "INVITATION"]) == 1
    assert sign_in(api, username, api.temporary_password("acme", username), tenant="acme")["__typename"] == (
        "NewPasswordRequired"
    )


def test_a_lost_sign_up_answer_then_the_retry_is_consistent(api: Api, proxy: FaultProxy, unique: str) -> None:
    username = f"ls-{unique}@shop.example"
    with proxy.fault(Fault.LOSE, only={"SignUp"}):
        assert sign_up(api, username)["code"] == "SERVICE_UNAVAILABLE"
    retried = sign_up(api, username)  # shop hides existence: the answer of a new sign-up
    assert (retried["__typename"], retried["nextStep"]) == ("SignUpSuccess", "CONFIRM_SIGN_UP")
    assert resend(api, username)["__typename"] == "ResendConfirmationCodeSuccess"
    assert confirm(api, username, api.last_code("shop", username))["userStatus"] == "CONFIRMED"
    assert sign_in(api, username)["__typename"] == "SignInSuccess"


def test_a_lost_answer_midway_through_a_sign_up_for_approval_is_finished_by_the_retry(
    api: Api, proxy: FaultProxy, unique: str
) -> None:
    """A sign-up for approval takes three calls; the first one's answer lost leaves a user half made (not
    disabled, no password of the applicant's): the retry finishes it, and approval lets them in."""
    username = f"la-{unique}@guild.example"
    with proxy.fault(Fault.LOSE, only={"AdminCreateUser"}):
        assert sign_up(api, username, tenant="guild", password="guildpass1", name="L")["code"] == (
            "SERVICE_UNAVAILABLE"
        )
    assert sign_up(api, username, tenant="guild", password="guildpass1", name="L")["nextStep"] == "AWAIT_APPROVAL"
    assert {"username": username} in api.data(PENDING, {"t": "guild"}, token=GUILD_KEY)
    assert sign_in(api, username, "guildpass1", tenant="guild")["code"] == "NOT_AUTHORIZED"  # not yet
    approved = api.data(APPROVE, {"i": {"tenant": "guild", "username": username}}, token=GUILD_KEY)
    assert approved["__typename"] == "ApproveSignUpSuccess"
    # Its own password works (the retry finished the user); the address is proven next.
    assert sign_in(api, username, "guildpass1", tenant="guild")["__typename"] == "AddressVerificationRequired"
