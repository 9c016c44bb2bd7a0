"""Issue 12, item 2: audit events and JSON lines. Each decision and each admin action is an event with its
tenant, operation, outcome, revision, actor and request id; a refused request writes its audit event and
at most one other line (at INFO and above, as production logs). Read from the session's JSON capture
(`json_log_capture`: production's JsonFormatter over every record) and from a `regapi serve` process's
stderr with REGAPI_LOG_FORMAT=json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import ACME_KEY, DEMO_POLICIES, ROOT
from tests.helpers.client import Api
from tests.helpers.documents import CONFIRM_SIGN_UP, INVITE_USER, RESEND_CODE, SIGN_IN, SIGN_UP, attrs
from tests.helpers.flows import PASSWORD
from tests.helpers.processes import free_port, wait_until

DISABLE = """
mutation Disable($input: AdminUserInput!) {
  disableUser(input: $input) { __typename ... on AdminUserSuccess { username } ... on RegistrationError { code } }
}
"""


def request_id() -> str:
    return f"audit-{uuid.uuid4().hex}"


def post(api: Api, rid: str, query: str, variables: dict[str, Any], **headers: str) -> dict[str, Any]:
    """One GraphQL request under the request id `rid`; its payload."""
    response = api.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"X-Request-ID": rid, **headers}
    )
    assert response.headers["x-request-id"] == rid
    assert response.json().get("data"), response.json()
    (payload,) = response.json()["data"].values()
    return dict(payload)


def lines_of(json_lines: list[str], rid: str) -> list[dict[str, Any]]:
    """The JSON lines of one request, parsed (each capture line is `<logger> <json>`)."""
    parsed = [json.loads(line.split(" ", 1)[1]) for line in json_lines if rid in line]
    return [line for line in parsed if line.get("request_id") == rid]


def shown(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What production shows: INFO and above."""
    return [line for line in lines if line["level"] != "DEBUG"]


def audit_events(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "regapi.audit"]


def test_a_denied_decision_is_one_event_with_every_field(embedded_api: Api, json_log_capture: list[str]) -> None:
    rid = request_id()
    variables = {"input": {"tenant": "shop", "username": f"{rid}@shop.example", "password": PASSWORD}}
    variables["input"]["attributes"] = attrs(**{"custom_x": "1"})
    embedded_api.secrets.add(PASSWORD)
    assert post(embedded_api, rid, SIGN_UP, variables)["__typename"] == "PolicyDenied"
    lines = shown(lines_of(json_log_capture, rid))
    (event,) = audit_events(lines)
    assert event["event"] == "decision"
    assert event["tenant"] == "shop"
    assert event["operation"] == "sign_up"
    assert event["allowed"] is False
    assert "UNKNOWN_ATTRIBUTE" in event["codes"]
    assert "UNKNOWN_ATTRIBUTE:custom:x" in event["violations"]
    assert len(event["revision"]) >= 8
    assert event["actor"] == "anonymous"
    assert {"time", "level", "logger", "message"} <= set(event)
    assert len(lines) <= 2  # the event, and the access line
    assert rid not in event["violations"]  # the username is not part of the event


def test_an_admin_action_names_the_key_and_the_user_it_acted_on(embedded_api: Api, json_log_capture: list[str]) -> None:
    username = f"audited-{uuid.uuid4().hex[:8]}"
    attributes = attrs(email=f"{username}@acme.example", custom_employee_id="E123456")
    invited = request_id()
    variables = {"input": {"tenant": "acme", "username": username, "attributes": attributes}}
    embedded_api.secrets.add(ACME_KEY)
    auth = {"Authorization": f"Bearer {ACME_KEY}"}
    assert post(embedded_api, invited, INVITE_USER, variables, **auth)["__typename"] == "InviteUserSuccess"
    decision, action = audit_events(lines_of(json_log_capture, invited))
    assert (decision["event"], decision["operation"], decision["allowed"]) == ("decision", "invite", True)
    assert decision["actor"] == action["actor"] == "key:hr-system"
    assert (action["event"], action["action"], action["tenant"]) == ("admin_action", "user_invited", "acme")
    sub = action["user_sub"]
    assert isinstance(sub, str)
    assert len(sub) >= 8

    disabled = request_id()
    payload = post(embedded_api, disabled, DISABLE, {"input": {"tenant": "acme", "username": username}}, **auth)
    assert payload["__typename"] == "AdminUserSuccess"
    (action,) = audit_events(lines_of(json_log_capture, disabled))
    assert (action["action"], action["user_sub"], action["actor"]) == ("user_disabled", sub, "key:hr-system")
    assert username not in json.dumps(action)


@pytest.mark.parametrize("case", ["denied", "limit", "origin", "admin", "wrong_password"])
def test_a_refused_request_writes_its_audit_event_and_at_most_one_other_line(
    embedded_api: Api, json_log_capture: list[str], unique: str, case: str
) -> None:
    username = f"refused-{unique}@shop.example"
    embedded_api.secrets.add(PASSWORD)
    rid = request_id()
    headers: dict[str, str] = {}
    match case:
        case "denied":
            variables: dict[str, Any] = {"input": {"tenant": "shop", "username": username, "password": "short"}}
            variables["input"]["attributes"] = []
            query, expected = SIGN_UP, "POLICY_VIOLATION"
        case "limit":
            query, variables = RESEND_CODE, {"input": {"tenant": "shop", "username": username}}
            for _ in range(5):  # shop's resends_per_user: 5 per hour
                post(embedded_api, request_id(), query, variables)
            expected = "TOO_MANY_ATTEMPTS"
        case "origin":
            variables = {"input": {"tenant": "acme", "username": username, "password": PASSWORD, "attributes": []}}
            query, expected, headers = SIGN_UP, "NOT_AUTHORIZED", {"Origin": "https://not-acme.example"}
        case "admin":
            variables = {"input": {"tenant": "acme", "username": username, "attributes": []}}
            wrong = f"wrong-key-{unique}"
            embedded_api.secrets.add(wrong)
            query, expected, headers = INVITE_USER, "NOT_AUTHORIZED", {"Authorization": f"Bearer {wrong}"}
        case _:
            variables = {"input": {"tenant": "shop", "username": username, "password": f"wrong {unique}"}}
            embedded_api.secrets.add(f"wrong {unique}")
            query, expected = SIGN_IN, "NOT_AUTHORIZED"
    payload = post(embedded_api, rid, query, variables, **headers)
    assert payload.get("code", payload["__typename"]) == expected, payload
    lines = shown(lines_of(json_log_capture, rid))
    events = audit_events(lines)
    assert len(events) == 1, [line["message"] for line in lines]
    others = [line for line in lines if line["logger"] != "regapi.audit"]
    assert len(others) <= 1, [line["message"] for line in others]


def test_regapi_serve_writes_json_lines_outbox_included(tmp_path: Path, unique: str) -> None:
    port = free_port()
    stderr = tmp_path / "serve.log"
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("REGAPI_")},
        "REGAPI_PORT": str(port),
        "REGAPI_RELOAD": "0",
        "REGAPI_POLICY_DIR": str(DEMO_POLICIES),
        "REGAPI_LOG_FORMAT": "json",
    }
    with stderr.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    rid = request_id()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/healthz").status_code == 200, "regapi serve")
        named = [{"name": "name", "value": "Jay Son"}]
        user = {"tenant": "shop", "username": f"json-{unique}@shop.example", "password": PASSWORD, "attributes": named}
        variables = {"input": user}
        response = httpx.post(
            f"{url}/graphql", json={"query": SIGN_UP, "variables": variables}, headers={"X-Request-ID": rid}
        )
        assert response.json()["data"]["signUp"]["__typename"] == "SignUpSuccess"
    finally:
        process.terminate()
        process.wait(timeout=10)
    lines = [json.loads(line) for line in stderr.read_text().splitlines()]  # every line parses
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)  # uvicorn's own, as JSON
    (outbox,) = [line for line in lines if line.get("outbox")]
    assert outbox["kind"] == "SIGN_UP_CODE"
    assert outbox["message"].startswith("[embedded outbox]")
    assert len(outbox["code"]) == 6
    mine = [line for line in lines if line.get("request_id") == rid]
    assert {line["logger"] for line in mine} >= {"regapi.audit", "regapi.access"}
    (access,) = [line for line in mine if line["logger"] == "regapi.access"]
    assert (access["method"], access["path"], access["status"]) == ("POST", "/graphql", 200)


def test_a_request_refused_after_its_decision_writes_one_event_with_the_outcome(
    embedded_api: Api, json_log_capture: list[str], unique: str
) -> None:
    """A taken username is refused by Cognito after the policy allowed the sign-up: one decision event,
    allowed, with the refusal as its outcome; nothing else but the access line."""
    user = {"tenant": "post", "username": f"taken{unique}", "password": PASSWORD}
    user["attributes"] = attrs(email=f"taken{unique}@post.example", name="Ta Ken")
    embedded_api.secrets.add(PASSWORD)
    assert post(embedded_api, request_id(), SIGN_UP, {"input": user})["__typename"] == "SignUpSuccess"
    code = embedded_api.last_code("post", user["username"])
    confirmation = {"tenant": "post", "username": user["username"], "code": code}
    assert post(embedded_api, request_id(), CONFIRM_SIGN_UP, {"input": confirmation})["__typename"] == (
        "ConfirmSignUpSuccess"
    )
    rid = request_id()
    assert post(embedded_api, rid, SIGN_UP, {"input": user})["code"] == "USERNAME_EXISTS"
    lines = shown(lines_of(json_log_capture, rid))
    (event,) = audit_events(lines)
    assert (event["event"], event["allowed"], event["outcome"]) == ("decision", True, "USERNAME_EXISTS")
    assert event["field"] == "username"
    assert len(lines) == 2


def test_each_root_field_of_a_document_has_its_own_tenant_and_actor(
    embedded_api: Api, json_log_capture: list[str], unique: str
) -> None:
    """One document, three mutations run in turn: an admin's invitation, an anonymous sign-up, a sign-up for
    a tenant that does not exist. Each event names its own field's tenant and actor."""
    document = """
    mutation Three($invite: InviteUserInput!, $shop: SignUpInput!, $none: SignUpInput!) {
      a: inviteUser(input: $invite) { __typename }
      b: signUp(input: $shop) { __typename }
      c: signUp(input: $none) { __typename }
    }"""
    invited = {"email": f"three-{unique}@acme.example", "custom_employee_id": "E123456"}
    variables = {
        "invite": {"tenant": "acme", "username": f"three-{unique}", "attributes": attrs(**invited)},
        "shop": {"tenant": "shop", "username": f"three-{unique}@shop.example", "password": "short", "attributes": []},
        "none": {"tenant": "nosuch", "username": f"three-{unique}", "password": PASSWORD, "attributes": []},
    }
    embedded_api.secrets |= {ACME_KEY, PASSWORD}
    rid = request_id()
    response = embedded_api.http.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"X-Request-ID": rid, "Authorization": f"Bearer {ACME_KEY}"},
    )
    assert [v["__typename"] for v in response.json()["data"].values()] == [
        "InviteUserSuccess",
        "PolicyDenied",
        "RegistrationError",
    ]
    events = audit_events(lines_of(json_log_capture, rid))
    assert [(e["event"], e["tenant"], e["actor"]) for e in events] == [
        ("decision", "acme", "key:hr-system"),
        ("admin_action", "acme", "key:hr-system"),
        ("decision", "shop", "anonymous"),
        ("refused", None, "anonymous"),
    ]
    assert events[-1]["code"] == "TENANT_NOT_FOUND"
