"""Events to partners end to end: the API over HTTP on the embedded Cognito, delivering to a real HTTP
receiver on loopback that checks every signature with the `standardwebhooks` verifier, as a partner would.

The tenants are tests/fixtures/webhooks/ (hooked: open sign-up, two webhooks; vetted: sign-ups approved by
an administrator), their URLs pointed at the receiver. The app runs with a retry schedule of a tenth of a
second (the real one waits seconds, then hours), except in the restart test, which runs `regapi serve`
processes as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from api.app import create_app
from api.clock import ManualClock
from api.events import wiring
from api.events.schedule import RetrySchedule
from api.observability import metrics
from api.policy import load_policy
from api.settings import Settings
from tests.helpers import ROOT, TESTS, TRUSTED
from tests.helpers.client import Api, InProcessCognito
from tests.helpers.documents import (
    ADMIN_UPDATE_ATTRIBUTES,
    CONFIRM_FORGOT_PASSWORD,
    CONFIRM_SIGN_IN,
    FORGOT_PASSWORD,
    INVITE_USER,
    SIGN_IN,
    admin_user_action,
    attrs,
)
from tests.helpers.flows import NEW_PASSWORD, PASSWORD, confirm, respond, sign_in, sign_up, wrong
from tests.helpers.processes import free_port, wait_until
from tests.helpers.receiver import Received, Receiver, Reply
from tests.helpers.recorder import record
from tests.helpers.server import LiveServer, variables_set

FIXTURES = TESTS / "fixtures" / "webhooks"
SECRET = "whsec_c2VjcmV0LWZvci10aGUtd2ViaG9vay10ZXN0cy0xMjM0"  # 36 bytes, for these tests only
SECRET_ENV = "HOOKED_WEBHOOK_SECRET"
KEY = "hooked-admin-key"
QUICK = RetrySchedule(steps=(0.1,) * 9)  # ten attempts within a second
WAIT = 30.0  # seconds a delivery may take to arrive before a test gives up (never a measurement)

DELIVERIES = """
query Deliveries($tenant: ID!, $status: WebhookDeliveryStatus) {
  webhookDeliveries(tenant: $tenant, status: $status) {
    id eventId type url status attempts lastAttemptAt nextAttemptAt lastStatusCode lastError
  }
}
"""
REPLAY = """
mutation Replay($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) {
    __typename
    ... on ReplayWebhookDeliverySuccess { delivery { id eventId status attempts } }
    ... on RegistrationError { code message field }
  }
}
"""
SIGN_UP_ONLY = "mutation S($input: SignUpInput!) { signUp(input: $input) { __typename } }"
APPROVE = "mutation A($input: ApproveSignUpInput!) { approveSignUp(input: $input) { __typename } }"
REJECT = "mutation R($input: RejectSignUpInput!) { rejectSignUp(input: $input) { __typename } }"


# ------------------------------------------------------------------ what the partner received


def payload(received: Received) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(received.body)
    return document


def data(received: Received) -> dict[str, Any]:
    value: dict[str, Any] = payload(received)["data"]
    return value


def about(receiver: Receiver, username: str, event: str | None = None, path: str | None = None) -> list[Received]:
    return [
        r
        for r in receiver.received(path)
        if data(r)["username"] == username and (event is None or payload(r)["type"] == event)
    ]


def arrived(receiver: Receiver, username: str, event: str, path: str = "/crm", count: int = 1) -> list[Received]:
    """The deliveries of `event` about `username` to `path`, once `count` of them came (polled, at most WAIT s)."""
    deadline = time.monotonic() + WAIT
    while len(found := about(receiver, username, event, path)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} of {count} {event} for {username} arrived at {path}")
        time.sleep(0.02)
    return found


def policy_dir(directory: Path, receiver: Receiver, secret_env: str = SECRET_ENV) -> Path:
    """The fixture tenants, their webhooks pointed at `receiver`, their secret in `secret_env`."""
    for name in ("hooked.yaml", "vetted.yaml"):
        text = (FIXTURES / name).read_text(encoding="utf-8").replace("http://receiver.invalid", receiver.url(""))
        # vetted's partner hears of the proven address too (it follows the approval).
        text = text.replace(
            "[user.signed_up, user.approved, user.rejected]",
            "[user.signed_up, user.approved, user.rejected, user.confirmed]",
        )
        (directory / name).write_text(text.replace(SECRET_ENV, secret_env), encoding="utf-8")
    return directory


@dataclass
class Hooked:
    api: Api
    receiver: Receiver
    directory: Path


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory, log_capture: list[str]) -> Iterator[Hooked]:
    """The app serving hooked and vetted, delivering to a receiver, with the quick retry schedule."""
    with Receiver(SECRET) as receiver, variables_set({SECRET_ENV: SECRET}):  # read at each attempt
        directory = policy_dir(tmp_path_factory.mktemp("webhooks"), receiver)
        clock = ManualClock()
        settings = Settings(policy_dir=directory, trusted_proxies=TRUSTED)
        app = create_app(settings, clock=clock, events=wiring.build(settings, schedule=QUICK))
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            yield Hooked(Api(http=http, cognito=InProcessCognito(http, clock)), receiver, directory)


@pytest.fixture
def api(hooked: Hooked) -> Api:
    """This module's client, by the name the suite's log scan (`no_secret_in_logs`) looks for."""
    for path in ("/crm", "/mailing", "/staff"):
        hooked.receiver.answer(path, Reply(204))
    return hooked.api


def deliveries(api: Api, tenant: str = "hooked", status: str | None = None) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = api.data(DELIVERIES, {"tenant": tenant, "status": status}, token=KEY)
    return listed


def revision(hooked: Hooked) -> str:
    return load_policy(hooked.directory / "hooked.yaml").revision


def sign_up_input(username: str, **attributes: str) -> dict[str, Any]:
    values = attrs(**attributes) or attrs(name="Ann Example", custom_plan="pro")
    return {"input": {"tenant": "hooked", "username": username, "password": PASSWORD, "attributes": values}}


# ------------------------------------------------------------------ sign-up and confirmation


def test_sign_up_then_confirm_reach_the_partner_signed_retried_and_with_only_the_listed_attributes(
    api: Api, hooked: Hooked, unique: str
) -> None:
    receiver = hooked.receiver
    receiver.answer("/crm", Reply(500), Reply(204))  # the first attempt fails
    username = f"ann-{unique}@hooked.example"
    request_id = f"e2e-{unique}"
    api.secrets.add(PASSWORD)
    body = {"query": SIGN_UP_ONLY, "variables": sign_up_input(username)}
    sent = api.http.post("/graphql", headers={"X-Request-ID": request_id}, json=body)
    assert record(sent.json())["data"]["signUp"]["__typename"] == "SignUpSuccess"

    first, again = arrived(receiver, username, "user.signed_up", count=2)
    (mailing,) = arrived(receiver, username, "user.signed_up", "/mailing")
    # Answered 500, then sent again: the same webhook-id and the same bytes (a partner drops duplicates by id).
    assert first.webhook_id == again.webhook_id == mailing.webhook_id
    assert first.webhook_id.startswith("msg_")
    assert len(first.webhook_id) == 36
    assert first.body == again.body
    assert first.verified
    assert again.verified
    assert mailing.verified
    assert payload(first)["type"] == "user.signed_up"
    assert data(first) == {
        "tenant": "hooked",
        "username": username,
        "sub": data(first)["sub"],
        "status": "UNCONFIRMED",  # not a proven address yet
        "enabled": True,
        "attributes": {"name": "Ann Example", "custom:plan": "pro"},  # the listed ones only
        "revision": revision(hooked),
        "request_id": request_id,
    }
    assert len(data(first)["sub"]) == 36
    assert data(mailing)["attributes"] == {"email": username}  # each webhook its own list
    for received in (first, mailing):
        assert PASSWORD.encode() not in received.body
        assert b"custom:tenant_id" not in received.body
        assert b"custom:origin" not in received.body

    code = api.last_code("hooked", username)
    assert confirm(api, username, code, tenant="hooked")["__typename"] == "ConfirmSignUpSuccess"
    (confirmed,) = arrived(receiver, username, "user.confirmed")
    assert confirmed.verified
    assert confirmed.webhook_id != first.webhook_id
    assert data(confirmed)["status"] == "CONFIRMED"
    assert data(confirmed)["sub"] == data(first)["sub"]
    assert data(confirmed)["attributes"] == {"name": "Ann Example", "custom:plan": "pro", "email_verified": "true"}
    assert code.encode() not in confirmed.body
    queued = [d["url"] for d in deliveries(api) if d["eventId"] == confirmed.webhook_id]
    assert queued == [receiver.url("/crm")]  # the mailing webhook did not ask for user.confirmed


def test_refused_requests_send_nothing(api: Api, hooked: Hooked, unique: str) -> None:
    before = len(deliveries(api))
    denied = f"denied-{unique}@hooked.example"
    refused = sign_up(api, denied, tenant="hooked", password="short", name="Den", custom_plan="pro")
    assert refused["__typename"] == "PolicyDenied"
    taken = f"taken-{unique}@hooked.example"
    assert sign_up(api, taken, tenant="hooked", name="Tak", custom_plan="free")["__typename"] == "SignUpSuccess"
    code = api.last_code("hooked", taken)
    assert confirm(api, taken, wrong(code), tenant="hooked")["code"] == "CODE_MISMATCH"
    assert confirm(api, taken, code, tenant="hooked")["__typename"] == "ConfirmSignUpSuccess"
    # A sign-up of a taken name: answered as a success where the tenant hides existence; nothing happened.
    assert sign_up(api, taken, tenant="hooked", name="Tak", custom_plan="free")["__typename"] == "SignUpSuccess"
    # The queue holds what each request published by the time it answered: signed_up to both webhooks and
    # confirmed to one, nothing for the denial, the wrong code or the taken name.
    assert len(deliveries(api)) == before + 3
    assert len(arrived(hooked.receiver, taken, "user.confirmed")) == 1
    assert not about(hooked.receiver, denied)


# ------------------------------------------------------------------ invitations


def test_an_invitation_then_its_first_sign_in(api: Api, hooked: Hooked, unique: str) -> None:
    username = f"ivy-{unique}@hooked.example"
    invite = {"input": {"tenant": "hooked", "username": username, "attributes": attrs(name="Ivy", custom_plan="pro")}}
    assert api.data(INVITE_USER, invite, token=KEY)["__typename"] == "InviteUserSuccess"
    (invited,) = arrived(hooked.receiver, username, "user.invited")
    assert data(invited)["status"] == "FORCE_CHANGE_PASSWORD"
    assert data(invited)["attributes"] == {"name": "Ivy", "custom:plan": "pro", "email_verified": "true"}
    temporary = api.temporary_password("hooked", username)
    challenge = api.data(SIGN_IN, {"input": {"tenant": "hooked", "username": username, "password": temporary}})
    assert challenge["__typename"] == "NewPasswordRequired"
    assert respond(api, username, challenge["session"], tenant="hooked")["__typename"] == "SignInSuccess"
    (taken,) = arrived(hooked.receiver, username, "user.first_sign_in_completed")
    assert taken.verified
    assert data(taken)["status"] == "CONFIRMED"
    assert data(taken)["sub"] == data(invited)["sub"]
    assert taken.webhook_id != invited.webhook_id
    assert temporary.encode() not in taken.body
    assert NEW_PASSWORD.encode() not in taken.body
    assert [payload(r)["type"] for r in about(hooked.receiver, username)] == [
        "user.invited",
        "user.first_sign_in_completed",
    ]


# ------------------------------------------------------------------ the account's life


def act(api: Api, name: str, username: str) -> Any:
    return api.data(admin_user_action(name), {"input": {"tenant": "hooked", "username": username}}, token=KEY)


def test_what_administrators_and_users_do_to_an_account(api: Api, hooked: Hooked, unique: str) -> None:
    receiver = hooked.receiver
    username = f"otto-{unique}@hooked.example"
    sign_up(api, username, tenant="hooked", name="Otto", custom_plan="free")
    confirm(api, username, api.last_code("hooked", username), tenant="hooked")
    update = {"input": {"tenant": "hooked", "username": username, "attributes": attrs(name="Otto Renamed")}}
    assert api.data(ADMIN_UPDATE_ATTRIBUTES, update, token=KEY)["__typename"] == "AdminUpdateUserAttributesSuccess"
    (updated,) = arrived(receiver, username, "user.attributes_updated")
    assert data(updated)["attributes"]["name"] == "Otto Renamed"
    assert data(updated)["changed"] == ["name"]

    assert act(api, "disableUser", username)["enabled"] is False
    (disabled,) = arrived(receiver, username, "user.disabled")
    assert data(disabled)["enabled"] is False
    assert act(api, "enableUser", username)["enabled"] is True
    (enabled,) = arrived(receiver, username, "user.enabled")
    assert data(enabled)["enabled"] is True

    # A password reset has two steps, an event each: the administrator's (the old password stops working),
    # then the user's new password, set with the code.
    assert act(api, "adminResetPassword", username)["userStatus"] == "RESET_REQUIRED"
    (reset,) = arrived(receiver, username, "user.password_reset")
    assert data(reset)["status"] == "RESET_REQUIRED"
    code = api.last_code("hooked", username, "PASSWORD_RESET_CODE")
    variables = {"input": {"tenant": "hooked", "username": username, "code": code, "newPassword": "new horse 43"}}
    assert api.data(CONFIRM_FORGOT_PASSWORD, variables)["__typename"] == "ConfirmForgotPasswordSuccess"
    done = arrived(receiver, username, "user.password_reset", count=2)[-1]
    assert data(done)["status"] == "CONFIRMED"
    assert b"new horse 43" not in done.body
    assert code.encode() not in done.body

    assert act(api, "deleteUser", username)["__typename"] == "AdminUserSuccess"
    (deleted,) = arrived(receiver, username, "user.deleted")
    assert data(deleted)["sub"] == data(updated)["sub"]
    assert all(r.verified for r in about(receiver, username))


def test_a_reset_requested_for_an_unknown_user_sends_nothing(api: Api, unique: str) -> None:
    before = len(deliveries(api))
    forgot = {"input": {"tenant": "hooked", "username": f"fay-{unique}@hooked.example"}}
    assert api.data(FORGOT_PASSWORD, forgot)["__typename"] == "ForgotPasswordSuccess"
    assert len(deliveries(api)) == before


def test_sign_ups_awaiting_approval_approved_and_rejected(api: Api, hooked: Hooked, unique: str) -> None:
    receiver = hooked.receiver
    approved, rejected = f"ada-{unique}@vetted.example", f"rex-{unique}@vetted.example"
    for username in (approved, rejected):
        assert sign_up(api, username, tenant="vetted", name="Applicant")["nextStep"] == "AWAIT_APPROVAL"
    (waiting,) = arrived(receiver, approved, "user.signed_up", "/staff")
    # Cognito's record: the password is set (CONFIRMED) but the account is not enabled, its address unproven.
    assert (data(waiting)["status"], data(waiting)["enabled"]) == ("CONFIRMED", False)
    assert data(waiting)["attributes"] == {"name": "Applicant"}
    assert data(waiting)["sub"]
    approve = {"input": {"tenant": "vetted", "username": approved}}
    assert api.data(APPROVE, approve, token=KEY)["__typename"] == "ApproveSignUpSuccess"
    (approval,) = arrived(receiver, approved, "user.approved", "/staff")
    assert data(approval)["enabled"] is True
    assert data(approval)["sub"] == data(waiting)["sub"]
    # Approval vouches for nobody's mailbox: the first sign-in proves the address, and that is user.confirmed.
    held = sign_in(api, approved, PASSWORD, tenant="vetted")
    assert held["__typename"] == "AddressVerificationRequired"
    assert about(receiver, approved, "user.confirmed") == []
    code = api.last_code("vetted", approved, "VERIFICATION_CODE")
    proof = {"input": {"tenant": "vetted", "username": approved, "session": held["session"], "code": code}}
    assert api.data(CONFIRM_SIGN_IN, proof)["__typename"] == "SignInSuccess"
    (confirmed,) = arrived(receiver, approved, "user.confirmed", "/staff")
    assert confirmed.verified
    assert (data(confirmed)["sub"], data(confirmed)["enabled"]) == (data(waiting)["sub"], True)
    assert data(confirmed)["attributes"]["email_verified"] == "true"
    reject = {"input": {"tenant": "vetted", "username": rejected}}
    assert api.data(REJECT, reject, token=KEY)["__typename"] == "RejectSignUpSuccess"
    (rejection,) = arrived(receiver, rejected, "user.rejected", "/staff")
    assert data(rejection)["enabled"] is False


# ------------------------------------------------------------------ dead letters: the admin query and replay


def test_a_receiver_failing_for_good_leaves_a_dead_letter_that_replay_delivers(
    api: Api, hooked: Hooked, unique: str
) -> None:
    receiver = hooked.receiver
    receiver.answer("/crm", Reply(500))  # every attempt
    username = f"dora-{unique}@hooked.example"
    sign_up(api, username, tenant="hooked", name="Dora", custom_plan="free")
    attempts = arrived(receiver, username, "user.signed_up", count=QUICK.attempts)
    event_id = attempts[0].webhook_id
    assert {r.webhook_id for r in attempts} == {event_id}

    def dead_letters() -> list[dict[str, Any]]:
        return [d for d in deliveries(api, status="FAILED") if d["eventId"] == event_id]

    wait_until(dead_letters, "the dead letter")
    (dead,) = dead_letters()
    assert dead == {
        "id": f"{event_id}.0",  # the event's id and the webhook's position in the file
        "eventId": event_id,
        "type": "user.signed_up",
        "url": receiver.url("/crm"),
        "status": "FAILED",
        "attempts": QUICK.attempts,
        "lastAttemptAt": dead["lastAttemptAt"],
        "nextAttemptAt": None,
        "lastStatusCode": 500,
        "lastError": dead["lastError"],
    }
    assert dead["lastAttemptAt"]
    assert "500" in dead["lastError"]
    delivered = [d for d in deliveries(api, status="DELIVERED") if d["eventId"] == event_id]
    assert [d["url"] for d in delivered] == [receiver.url("/mailing")]  # the other webhook had it at once
    assert all("whsec_" not in json.dumps(d) for d in deliveries(api))

    receiver.answer("/crm", Reply(204))
    replayed = api.data(REPLAY, {"input": {"tenant": "hooked", "id": dead["id"]}}, token=KEY)
    assert replayed["__typename"] == "ReplayWebhookDeliverySuccess"
    assert replayed["delivery"]["id"] == dead["id"]
    final = arrived(receiver, username, "user.signed_up", count=QUICK.attempts + 1)[-1]
    assert final.webhook_id == event_id
    assert final.body == attempts[0].body
    assert final.verified
    wait_until(lambda: [d for d in deliveries(api, status="DELIVERED") if d["id"] == dead["id"]], "the replay")

    # Only a dead letter is replayed, only by the tenant's administrator, only the tenant's own.
    again = api.data(REPLAY, {"input": {"tenant": "hooked", "id": dead["id"]}}, token=KEY)
    assert (again["__typename"], again["code"], again["field"]) == ("RegistrationError", "DELIVERY_NOT_FOUND", "id")
    unknown = api.data(REPLAY, {"input": {"tenant": "hooked", "id": "msg_nope.0"}}, token=KEY)
    assert unknown["code"] == "DELIVERY_NOT_FOUND"
    assert api.data(REPLAY, {"input": {"tenant": "hooked", "id": dead["id"]}})["code"] == "NOT_AUTHORIZED"
    assert api.data(REPLAY, {"input": {"tenant": "vetted", "id": dead["id"]}}, token=KEY)["code"] == (
        "DELIVERY_NOT_FOUND"
    )
    listing = api.gql(DELIVERIES, {"tenant": "hooked"})
    assert listing["errors"][0]["extensions"]["code"] == "NOT_AUTHORIZED"


# ------------------------------------------------------------------ hot reload


def test_a_webhook_changed_by_hot_reload_gets_the_events_it_asks_for_now(api: Api, hooked: Hooked, unique: str) -> None:
    path = hooked.directory / "hooked.yaml"
    original = path.read_text(encoding="utf-8")
    before = revision(hooked)
    form = '{ registrationForm(tenant: "hooked", operation: SIGN_UP) { policyRevision } }'
    try:
        path.write_text(
            original.replace("events: [user.signed_up]", "events: [user.signed_up, user.confirmed]"), encoding="utf-8"
        )
        wait_until(lambda: api.data(form)["policyRevision"] != before, "the reload")
        username = f"rhea-{unique}@hooked.example"
        sign_up(api, username, tenant="hooked", name="Rhea", custom_plan="pro")
        confirm(api, username, api.last_code("hooked", username), tenant="hooked")
        (confirmed,) = arrived(hooked.receiver, username, "user.confirmed", "/mailing")
        assert data(confirmed)["revision"] == revision(hooked) != before
        assert data(confirmed)["attributes"] == {"email": username}
    finally:
        path.write_text(original, encoding="utf-8")
        wait_until(lambda: api.data(form)["policyRevision"] == before, "the reload back")


# ------------------------------------------------------------------ a queue that does not answer


def unqueued(event: str) -> float:
    labels = {"tenant": "hooked", "type": event, "outcome": "unqueued"}
    return metrics.registry().get_sample_value("regapi_webhook_deliveries_total", labels) or 0.0


def test_a_queue_that_does_not_answer_neither_fails_nor_holds_up_the_request(
    tmp_path: Path, log_capture: list[str], unique: str
) -> None:
    """The events queue on a Redis that accepts connections and never answers: the sign-up succeeds once the
    queue's short timeout is over, its deliveries kept in the process's memory and delivered from there, with
    one WARNING line (the breaker opening), nothing counted as unqueued."""
    silent = socket.create_server(("127.0.0.1", 0))  # listens, never accepts: connections wait in its backlog
    with silent, Receiver(SECRET) as receiver, variables_set({SECRET_ENV: SECRET}):
        settings = Settings(policy_dir=policy_dir(tmp_path, receiver), trusted_proxies=TRUSTED)
        events = wiring.build(Settings(redis_url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0"))
        app = create_app(settings, clock=ManualClock(), events=events)
        before, logged = unqueued("user.signed_up"), len(log_capture)
        username = f"una-{unique}@hooked.example"
        with LiveServer(app) as server:
            answer = httpx.post(
                f"{server.url}/graphql", json={"query": SIGN_UP_ONLY, "variables": sign_up_input(username)}, timeout=30
            )
            arrived(receiver, username, "user.signed_up", "/crm")
            arrived(receiver, username, "user.signed_up", "/mailing")
    assert record(answer.json())["data"]["signUp"]["__typename"] == "SignUpSuccess"
    assert unqueued("user.signed_up") == before
    assert not [line for line in log_capture[logged:] if "could not be queued" in line]
    (line,) = [line for line in log_capture[logged:] if "queue in Redis unavailable" in line]
    assert line.startswith("regapi.events WARNING webhook queue in Redis unavailable (timed out)")


# ------------------------------------------------------------------ start-up refusal


def test_a_tenant_whose_secret_is_unset_is_refused_at_start_up(tmp_path: Path, unique: str) -> None:
    unset = f"UNSET_SECRET_{unique.upper()}"
    with Receiver(SECRET) as receiver:
        policy_dir(tmp_path, receiver, secret_env=unset)
    shutil.copy(ROOT / "policies" / "shop.yaml", tmp_path / "shop.yaml")
    app = create_app(Settings(policy_dir=tmp_path), clock=ManualClock())
    form = '{ registrationForm(tenant: "hooked", operation: SIGN_UP) { enabled } }'
    with LiveServer(app) as server:
        ready = httpx.get(f"{server.url}/readyz").json()
        answer = record(httpx.post(f"{server.url}/graphql", json={"query": form}).json())
    assert ready["status"] == "degraded"
    assert ready["tenants"] == 1  # shop serves
    assert {(Path(r["file"]).name, r["key"]) for r in ready["refused"]} == {
        ("hooked.yaml", "events.webhooks[0].secret_env"),
        ("hooked.yaml", "events.webhooks[1].secret_env"),
        ("vetted.yaml", "events.webhooks[0].secret_env"),
    }
    lines = (tmp_path / "hooked.yaml").read_text(encoding="utf-8").splitlines()
    first = next(r for r in ready["refused"] if r["file"].endswith("hooked.yaml"))
    assert f"secret_env: {unset}" in lines[first["line"] - 1]
    assert first["message"] == f"the variable {unset} is not set"
    assert answer["errors"][0]["extensions"]["code"] == "TENANT_NOT_FOUND"


# ------------------------------------------------------------------ a restart with Redis


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """One `regapi serve` process (embedded Cognito) on a free port, with `env`; its URL."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REGAPI_")}
    environment |= {**env, "REGAPI_PORT": str(port), "REGAPI_RELOAD": "0"}
    command = [sys.executable, "-m", "api", "serve"]
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/readyz").json()["status"] == "ready", url)
        yield url
    finally:
        process.terminate()  # SIGTERM: the deliverer stops and gives back what it held
        process.wait(timeout=30)


def test_a_pending_delivery_survives_a_restart_with_redis(tmp_path: Path, redis_url: str, unique: str) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/11"  # a database of its own
    redis.Redis.from_url(url).flushdb()
    username = f"rita-{unique}@hooked.example"
    with Receiver(SECRET) as receiver:
        receiver.answer("/crm", Reply(500))  # failing, until the first process is gone
        env = {SECRET_ENV: SECRET, "REGAPI_REDIS_URL": url, "REGAPI_POLICY_DIR": str(policy_dir(tmp_path, receiver))}
        with serving(env) as first:
            answer = httpx.post(f"{first}/graphql", json={"query": SIGN_UP_ONLY, "variables": sign_up_input(username)})
            assert record(answer.json())["data"]["signUp"]["__typename"] == "SignUpSuccess"
            (failed,) = arrived(receiver, username, "user.signed_up")
        receiver.answer("/crm", Reply(204))
        with serving(env):  # a new process, the same Redis: the retry is its to send
            retried = arrived(receiver, username, "user.signed_up", count=2)[-1]
    assert retried.webhook_id == failed.webhook_id
    assert retried.body == failed.body
    assert retried.verified


def test_the_fixtures_name_the_digest_of_the_tests_admin_key() -> None:
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    for name in ("hooked.yaml", "vetted.yaml"):
        assert digest in (FIXTURES / name).read_text(encoding="utf-8")
