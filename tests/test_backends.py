"""The aws backend: pools that exist already, named by id in the policy, reached through the same adapter.

In this process moto intercepts every boto3 call, so a pool created here with boto3 plays the part of a
real, pre-existing Cognito pool, with rules of its own that the policy does not know about.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from api.app import ConfigurationError, create_app
from api.cognito.embedded import EmbeddedCognito
from api.settings import Settings
from tests.helpers.documents import CONFIRM_SIGN_UP, SIGN_IN, SIGN_UP, attrs
from tests.helpers.recorder import record
from tests.helpers.server import LiveServer

POLICY = """
version: 1
display_name: Existing pool
cognito:
  user_pool: existing
  user_pool_id: {pool_id}
  client_id: {client_id}
{secret}
registration:
  self_signup: true
username:
  kind: email
password:
  min_length: 8
attributes:
  email:
    format: email
"""


@pytest.fixture(scope="module")
def pool() -> dict[str, str]:
    EmbeddedCognito()  # starts the in-process mock and the fidelity layer
    client = boto3.client("cognito-idp", region_name="us-east-1")
    pool_id = client.create_user_pool(
        PoolName="pre-existing",
        AutoVerifiedAttributes=["email"],
        # regapi stamps each user with its tenant; a pool made for regapi carries the attribute.
        Schema=[
            {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": False},
            {"Name": "origin", "AttributeDataType": "String", "Mutable": False},
        ],
        # Stricter than the policy: only Cognito knows, so only Cognito can refuse.
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 20,
                "RequireLowercase": True,
                "RequireUppercase": False,
                "RequireNumbers": False,
                "RequireSymbols": False,
            }
        },
    )["UserPool"]["Id"]
    app_client = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="partner", GenerateSecret=True, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    return {"pool_id": pool_id, "client_id": app_client["ClientId"], "secret": app_client["ClientSecret"]}


def write_policy(directory: Path, pool: dict[str, str], secret_env: str | None) -> Path:
    secret = f"  client_secret_env: {secret_env}" if secret_env else ""
    text = POLICY.format(secret=secret, pool_id=pool["pool_id"], client_id=pool["client_id"])
    (directory / "existing.yaml").write_text(text)
    return directory


@pytest.fixture
def aws_api(tmp_path: Path, pool: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    monkeypatch.setenv("EXISTING_CLIENT_SECRET", pool["secret"])
    app = create_app(Settings(policy_dir=write_policy(tmp_path, pool, "EXISTING_CLIENT_SECRET"), backend="aws"))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        yield http


def sign_up(http: httpx.Client, username: str, password: str) -> Any:
    variables = {"input": {"tenant": "existing", "username": username, "password": password, "attributes": attrs()}}
    response = http.post("/graphql", json={"query": SIGN_UP, "variables": variables})
    assert response.status_code == 200
    return record(response.json())["data"]["signUp"]


def test_aws_backend_signs_up_with_secret_hash(aws_api: httpx.Client, unique: str) -> None:
    result = sign_up(aws_api, f"ok-{unique}@partner.example", "a long enough password")
    assert result["__typename"] == "SignUpSuccess"
    assert result["codeDelivery"]["destination"] == "o***@p***"
    assert aws_api.get("/dev/outbox").status_code == 404  # the outbox exists in embedded mode only


def test_a_password_the_pool_refuses_is_invalid_password(aws_api: httpx.Client, unique: str) -> None:
    result = sign_up(aws_api, f"weak-{unique}@partner.example", "eight ch")  # fine for the policy, not the pool
    assert (result["__typename"], result["code"], result["field"]) == (
        "RegistrationError",
        "INVALID_PASSWORD",
        "password",
    )


def test_wrong_client_secret_is_masked_not_blamed_on_the_user(
    tmp_path: Path, pool: dict[str, str], monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    monkeypatch.setenv("EXISTING_CLIENT_SECRET", "not-the-secret")
    app = create_app(Settings(policy_dir=write_policy(tmp_path, pool, "EXISTING_CLIENT_SECRET"), backend="aws"))
    username = f"s-{unique}@p.example"
    calls = [
        (SIGN_UP, {"input": {"tenant": "existing", "username": username, "password": "x" * 21, "attributes": []}}),
        (SIGN_IN, {"input": {"tenant": "existing", "username": username, "password": "x" * 21}}),
        (CONFIRM_SIGN_UP, {"input": {"tenant": "existing", "username": username, "code": "123456"}}),
    ]
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        for query, variables in calls:
            body = http.post("/graphql", json={"query": query, "variables": variables}).json()
            assert body["data"] is None, body
            assert body["errors"][0]["message"] == "Unexpected error."


def test_unreachable_cognito_is_service_unavailable(tmp_path: Path, pool: dict[str, str], unique: str) -> None:
    settings = Settings(
        policy_dir=write_policy(tmp_path, pool, None), backend="aws", cognito_endpoint="http://127.0.0.1:9"
    )
    app = create_app(settings)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        result = sign_up(http, f"down-{unique}@partner.example", "a long enough password")
    assert (result["__typename"], result["code"]) == ("RegistrationError", "SERVICE_UNAVAILABLE")


def refused(app: Any) -> list[dict[str, Any]]:
    with LiveServer(app) as server:
        ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 503  # its only tenant is refused
    found: list[dict[str, Any]] = ready.json()["refused"]
    return found


def test_a_pool_that_cannot_be_served_refuses_its_tenants_or_with_strict_policies_the_start(
    tmp_path: Path, pool: dict[str, str]
) -> None:
    directory = write_policy(tmp_path, pool, "REGAPI_TEST_UNSET_SECRET")
    (problem,) = refused(create_app(Settings(policy_dir=directory, backend="aws")))
    assert (Path(problem["file"]).name, problem["key"]) == ("existing.yaml", "cognito")
    assert "REGAPI_TEST_UNSET_SECRET" in problem["message"]
    with pytest.raises(ConfigurationError, match="REGAPI_TEST_UNSET_SECRET"):
        create_app(Settings(policy_dir=directory, backend="aws", strict_policies=True))
    (tmp_path / "existing.yaml").write_text(
        POLICY.format(pool_id="", client_id="", secret="").replace("  user_pool_id: \n  client_id: \n", "")
    )
    (problem,) = refused(create_app(Settings(policy_dir=tmp_path, backend="aws")))
    assert "user_pool_id" in problem["message"]


def test_a_pool_without_the_stamps_or_a_client_without_a_secret_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("cognito-idp", region_name="us-east-1")
    bare = client.create_user_pool(PoolName="no-stamps")["UserPool"]["Id"]  # made without regapi in mind
    app_client = client.create_user_pool_client(UserPoolId=bare, ClientName="c", GenerateSecret=True)["UserPoolClient"]
    monkeypatch.setenv("BARE_SECRET", app_client["ClientSecret"])
    bare_pool = {"pool_id": bare, "client_id": app_client["ClientId"]}
    (problem,) = refused(
        create_app(Settings(policy_dir=write_policy(tmp_path, bare_pool, "BARE_SECRET"), backend="aws"))
    )
    assert "custom:tenant_id" in problem["message"]
    assert "custom:origin" in problem["message"]


def test_a_public_client_is_refused_in_production_and_warned_about_elsewhere(
    tmp_path: Path, pool: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    client = boto3.client("cognito-idp", region_name="us-east-1")
    public = client.create_user_pool_client(UserPoolId=pool["pool_id"], ClientName="public")["UserPoolClient"]
    directory = write_policy(tmp_path, {**pool, "client_id": public["ClientId"]}, None)
    with caplog.at_level(logging.WARNING, logger="regapi"):
        create_app(Settings(policy_dir=directory, backend="aws"))
    assert any("has no secret" in r.getMessage() for r in caplog.records)
    production = Settings(
        policy_dir=directory,
        backend="aws",
        production=True,
        session_secret=b"s" * 32,
        allowed_hosts=("api.example.com",),
    )
    (problem,) = refused(create_app(production))
    assert "no secret" in problem["message"]


def test_a_client_that_cannot_read_the_stamps_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("cognito-idp", region_name="us-east-1")
    stamps = [{"Name": n, "AttributeDataType": "String", "Mutable": False} for n in ("tenant_id", "origin")]
    pool_id = client.create_user_pool(PoolName="unread", Schema=stamps)["UserPool"]["Id"]
    blind = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="blind", GenerateSecret=True, ReadAttributes=["email", "custom:tenant_id"]
    )["UserPoolClient"]
    monkeypatch.setenv("BLIND_SECRET", blind["ClientSecret"])
    directory = write_policy(tmp_path, {"pool_id": pool_id, "client_id": blind["ClientId"]}, "BLIND_SECRET")
    (problem,) = refused(create_app(Settings(policy_dir=directory, backend="aws")))
    assert "may not read custom:origin" in problem["message"]
