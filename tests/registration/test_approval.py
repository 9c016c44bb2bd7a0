"""Sign-ups that wait for an administrator (registration.approval_required: true)."""

from __future__ import annotations

from typing import Any

import pytest

from api.cognito.port import mask_destination
from api.registration.existence import SignUpTiming
from tests.helpers import ACME_KEY
from tests.helpers.client import Api
from tests.helpers.documents import CONFIRM_SIGN_IN
from tests.helpers.flows import confirm, sign_in, sign_up, wrong

KEY = "guild-admin-key"
PASSWORD = "guildpass1"
PENDING = (
    "query Pending($tenant: ID!) { pendingSignUps(tenant: $tenant) { username requestedAt attributes { name value } } }"
)
APPROVE = """
mutation Approve($input: ApproveSignUpInput!) {
  approveSignUp(input: $input) {
    __typename ... on ApproveSignUpSuccess { username userStatus } ... on RegistrationError { code field }
  }
}
"""
REJECT = """
mutation Reject($input: RejectSignUpInput!) {
  rejectSignUp(input: $input) {
    __typename ... on RejectSignUpSuccess { username } ... on RegistrationError { code field }
  }
}
"""


def apply(api: Api, username: str) -> Any:
    return sign_up(api, username, tenant="guild", password=PASSWORD, name="Applicant")


def pending(api: Api) -> dict[str, Any]:
    return {p["username"]: p for p in api.data(PENDING, {"tenant": "guild"}, token=KEY)}


def decide(api: Api, document: str, username: str, token: str = KEY) -> Any:
    return api.data(document, {"input": {"tenant": "guild", "username": username}}, token=token)


def test_a_sign_up_waits_for_approval_and_sends_nothing(api: Api, unique: str) -> None:
    username = f"ap-{unique}@guild.example"
    assert apply(api, username) == {"__typename": "SignUpSuccess", "nextStep": "AWAIT_APPROVAL", "codeDelivery": None}
    assert api.outbox("guild", username) == []
    assert sign_in(api, username, PASSWORD, tenant="guild")["code"] == "NOT_AUTHORIZED"
    assert confirm(api, username, "123456", tenant="guild")["code"] == "CODE_MISMATCH"
    listed = pending(api)[username]
    assert {"name": "name", "value": "Applicant"} in listed["attributes"]
    assert listed["requestedAt"]
    assert apply(api, username) == apply(api, f"other-{unique}@guild.example")  # a taken name looks the same

    approved = decide(api, APPROVE, username)
    assert approved == {"__typename": "ApproveSignUpSuccess", "username": username, "userStatus": "CONFIRMED"}
    assert username not in pending(api)
    assert decide(api, APPROVE, username)["code"] == "USER_NOT_FOUND"  # nothing pending any more


def test_an_approved_sign_up_proves_its_address_before_it_gets_tokens(api: Api, unique: str) -> None:
    # Approval vouches for nobody's mailbox: whoever signed up with this address must still show it is theirs.
    username = f"pv-{unique}@guild.example"
    apply(api, username)
    decide(api, APPROVE, username)
    held = sign_in(api, username, PASSWORD, tenant="guild")
    assert held["__typename"] == "AddressVerificationRequired"
    assert held["codeDelivery"] == {"medium": "EMAIL", "destination": mask_destination(username)}
    assert "tokens" not in held
    code = api.last_code("guild", username, "VERIFICATION_CODE")

    def prove(session: str, value: str) -> Any:
        variables = {"input": {"tenant": "guild", "username": username, "session": session, "code": value}}
        return api.data(CONFIRM_SIGN_IN, variables)

    assert prove(held["session"], wrong(code))["code"] == "CODE_MISMATCH"
    assert prove(held["session"][:-4] + "AAAA", code)["code"] == "INVALID_SESSION"  # tampered
    other = f"pw-{unique}@guild.example"
    assert prove(held["session"], code)["__typename"] == "SignInSuccess"
    proven = prove(held["session"], code)
    assert proven["code"] == "INVALID_SESSION"  # one proof per session
    again = sign_in(api, username, PASSWORD, tenant="guild")
    assert again["__typename"] == "SignInSuccess"  # proven once: tokens from now on
    variables = {"input": {"tenant": "guild", "username": other, "session": held["session"], "code": code}}
    assert api.data(CONFIRM_SIGN_IN, variables)["code"] == "INVALID_SESSION"  # another user's session


def test_a_rejected_sign_up_is_deleted(api: Api, unique: str) -> None:
    username = f"rj-{unique}@guild.example"
    apply(api, username)
    assert decide(api, REJECT, username) == {"__typename": "RejectSignUpSuccess", "username": username}
    assert username not in pending(api)
    assert sign_in(api, username, PASSWORD, tenant="guild")["code"] == "NOT_AUTHORIZED"
    assert apply(api, username)["nextStep"] == "AWAIT_APPROVAL"  # the name is free again


def test_only_this_tenants_administrators_decide(api: Api, unique: str) -> None:
    username = f"ad-{unique}@guild.example"
    apply(api, username)
    assert decide(api, APPROVE, username, token=ACME_KEY)["code"] == "NOT_AUTHORIZED"
    body = api.gql(PENDING, {"tenant": "guild"}, token=ACME_KEY)
    assert body["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"
    assert username in pending(api)


def test_signing_in_again_and_again_cannot_flood_the_unproven_address(api: Api, unique: str) -> None:
    username = f"fl-{unique}@guild.example"
    apply(api, username)
    decide(api, APPROVE, username)
    answers = [sign_in(api, username, PASSWORD, tenant="guild") for _ in range(6)]  # resends_per_user: 5
    assert [a["__typename"] for a in answers[:5]] == ["AddressVerificationRequired"] * 5
    assert answers[5]["code"] == "TOO_MANY_ATTEMPTS"
    assert len([m for m in api.outbox("guild", username) if m["kind"] == "VERIFICATION_CODE"]) == 5


def test_a_taken_name_waits_as_long_as_a_new_one_would(api: Api, unique: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tenant hides existence: a new name's answer costs Cognito's calls and the event's queueing, so a
    taken name's is padded to how long those take (the sign-up path's SignUpTiming), or timing would tell."""
    added: list[float] = []
    padded: list[float] = []
    add, pad = SignUpTiming.add, SignUpTiming.pad

    def recorded_add(timing: SignUpTiming, sample: float) -> None:
        added.append(sample)
        add(timing, sample)

    async def recorded_pad(timing: SignUpTiming, started: float) -> None:
        padded.append(timing.value)
        await pad(timing, started)

    monkeypatch.setattr(SignUpTiming, "add", recorded_add)
    monkeypatch.setattr(SignUpTiming, "pad", recorded_pad)
    username = f"tm-{unique}@guild.example"
    assert apply(api, username)["nextStep"] == "AWAIT_APPROVAL"
    assert (len(added), padded) == (1, [])  # a new name: its duration is measured
    assert apply(api, username)["nextStep"] == "AWAIT_APPROVAL"
    assert len(added) == 1
    assert len(padded) == 1  # the taken name: padded to the measure
    assert padded[0] > 0
