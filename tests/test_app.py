"""create_app refuses configurations that would be unsafe, before serving anything; the app's health route."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import httpx
import pytest

from api.app import ConfigurationError, create_app
from api.policy import PolicyLoadError
from api.settings import Settings
from tests.helpers import DEMO_POLICIES
from tests.helpers.client import Api
from tests.helpers.server import LiveServer


def test_production_refuses_the_embedded_cognito() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_BACKEND=aws"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, session_secret=b"x" * 32))


def test_production_needs_a_session_secret() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_SESSION_SECRET"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, backend="aws"))


def test_production_needs_allowed_hosts() -> None:
    with pytest.raises(ConfigurationError, match="REGAPI_ALLOWED_HOSTS"):
        create_app(Settings(policy_dir=DEMO_POLICIES, production=True, backend="aws", session_secret=b"x" * 32))


def test_health(embedded_api: Api, policy_dir: Path) -> None:
    tenants = len(list(policy_dir.glob("*.yaml")))
    assert tenants >= 9
    assert embedded_api.http.get("/healthz").json() == {"status": "ok", "tenants": tenants}


def test_a_pool_shared_undeclared_at_start_up_refuses_its_tenants_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("acme", "shop"):
        shutil.copy(DEMO_POLICIES / f"{name}.yaml", tmp_path / f"{name}.yaml")
    shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / "blog.yaml")  # which one is the newcomer? unknowable
    with caplog.at_level(logging.ERROR, logger="regapi"):
        app = create_app(Settings(policy_dir=tmp_path))
    with LiveServer(app) as server, httpx.Client(base_url=server.url) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 200  # acme serves: a load balancer must keep the replica
        body = ready.json()
        assert body["status"] == "degraded"
        assert body["tenants"] == 1
        assert {Path(r["file"]).name for r in body["refused"]} == {"blog.yaml", "shop.yaml"}
        assert all(r["key"] == "cognito.shared" and "shared: true" in r["fix"] for r in body["refused"])
        assert all(isinstance(r["line"], int) for r in body["refused"])
        for tenant, served in (("acme", True), ("shop", False), ("blog", False)):
            query = f'{{ registrationForm(tenant: "{tenant}", operation: SIGN_UP) {{ operation }} }}'
            answer = http.post("/graphql", json={"query": query}).json()
            assert ("errors" not in answer) is served, (tenant, answer)
    refused = [r.getMessage() for r in caplog.records if "refused at start-up" in r.getMessage()]
    assert len(refused) == 2
    assert any("tenant 'blog' is not served" in line for line in refused)


def test_only_tenants_sharing_undeclared_is_not_ready(tmp_path: Path) -> None:
    for name in ("shop", "blog"):
        shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / f"{name}.yaml")
    with LiveServer(create_app(Settings(policy_dir=tmp_path))) as server:
        ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 503
    assert len(ready.json()["refused"]) == 2


def test_a_file_that_does_not_load_refuses_its_own_tenant_only(tmp_path: Path) -> None:
    shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / "shop.yaml")
    broken = (
        (DEMO_POLICIES / "acme.yaml").read_text(encoding="utf-8").replace("self_signup: false", "self_signup: nope")
    )
    (tmp_path / "acme.yaml").write_text(broken, encoding="utf-8")
    line = next(n for n, text in enumerate(broken.splitlines(), start=1) if "self_signup: nope" in text)
    with LiveServer(create_app(Settings(policy_dir=tmp_path))) as server, httpx.Client(base_url=server.url) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 200  # a load balancer must not pull the replica for one tenant's typo
        assert ready.json()["status"] == "degraded"
        (refused,) = ready.json()["refused"]
        assert (Path(refused["file"]).name, refused["line"], refused["key"]) == (
            "acme.yaml",
            line,
            "registration.self_signup",
        )
        query = '{ registrationForm(tenant: "%s", operation: SIGN_UP) { enabled } }'
        assert http.post("/graphql", json={"query": query % "shop"}).json()["data"]["registrationForm"]["enabled"]
        missing = http.post("/graphql", json={"query": query % "acme"}).json()
        assert missing["errors"][0]["extensions"]["code"] == "TENANT_NOT_FOUND"


def test_strict_policies_refuse_to_start_instead(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text("version: [\n", encoding="utf-8")
    shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / "shop.yaml")
    with pytest.raises(PolicyLoadError, match=r"acme\.yaml"):
        create_app(Settings(policy_dir=tmp_path, strict_policies=True))
