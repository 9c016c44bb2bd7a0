"""A challenge session is answered once across processes: the claim lives in Redis.

Two `regapi serve` processes on the aws backend share one Cognito (`regapi cognito serve`), one Redis
and one REGAPI_SESSION_SECRET, as replicas behind a load balancer do. A session answered through one
process is refused by the other before its engine is asked: a replay with a password the policy
refuses answers INVALID_SESSION, not PolicyDenied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.policy import load_directory
from tests.helpers import ACME_KEY
from tests.helpers.client import StandaloneCognito
from tests.helpers.documents import INVITE_USER, RESPOND_NEW_PASSWORD, SIGN_IN, attrs
from tests.helpers.flows import NEW_PASSWORD
from tests.helpers.processes import api_processes
from tests.helpers.recorder import record
from tests.helpers.server import provision_remote


@pytest.fixture
def replicas(
    redis_url: str, standalone_cognito: str, policy_dir: Path, tmp_path: Path
) -> Iterator[tuple[list[str], StandaloneCognito]]:
    secrets = provision_remote(standalone_cognito, policy_dir, tmp_path)
    env = {
        **secrets,
        "REGAPI_BACKEND": "aws",
        "REGAPI_COGNITO_ENDPOINT": standalone_cognito,
        "REGAPI_POLICY_DIR": str(tmp_path),
        "REGAPI_REDIS_URL": redis_url,
        "REGAPI_SESSION_SECRET": "one secret for every replica, 32+ bytes long",
    }
    with api_processes([env, env]) as urls:
        yield urls, StandaloneCognito(standalone_cognito, load_directory(tmp_path))


def call(url: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30)
    body = record(response.json())
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


def answer(url: str, username: str, session: str, password: str) -> Any:
    variables = {
        "input": {
            "tenant": "acme",
            "username": username,
            "session": session,
            "newPassword": password,
            "attributes": attrs(name="Replica Example"),
        }
    }
    return call(url, RESPOND_NEW_PASSWORD, variables)


def test_a_session_answered_through_one_replica_is_refused_by_the_other(
    replicas: tuple[list[str], StandaloneCognito], unique: str
) -> None:
    (first, second), cognito = replicas
    username = f"replica-{unique}"
    attributes = attrs(email=f"{username}@acme.example", custom_employee_id="E123456")
    invited = call(
        first, INVITE_USER, {"input": {"tenant": "acme", "username": username, "attributes": attributes}}, ACME_KEY
    )
    assert invited["__typename"] == "InviteUserSuccess"
    (message,) = cognito.outbox("acme", username)
    started = call(
        first, SIGN_IN, {"input": {"tenant": "acme", "username": username, "password": message["temporaryPassword"]}}
    )
    assert started["__typename"] == "NewPasswordRequired"
    assert answer(first, username, started["session"], NEW_PASSWORD)["__typename"] == "SignInSuccess"
    replay = answer(second, username, started["session"], "weak")
    assert (replay["__typename"], replay["code"]) == ("RegistrationError", "INVALID_SESSION")
