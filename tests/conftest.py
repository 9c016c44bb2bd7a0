"""Shared fixtures: the real app served by uvicorn on a loopback port, on the embedded Cognito.

One server per test session keeps the suite fast; tests keep out of each other's way by using fresh
usernames, and only move the clock forward after reading what they need from the outbox.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import uvicorn
import yaml
from starlette.applications import Starlette

from api.app import create_app
from api.clock import ManualClock
from api.cognito.adapter import create_client
from api.cognito.pool_config import client_parameters, pool_parameters
from api.policy import TenantPolicy, load_directory, normalize_username
from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_POLICIES = ROOT / "policies"
TEST_POLICIES = Path(__file__).resolve().parent / "fixtures" / "policies"

# Every AWS call of the suite goes to the embedded Cognito or a `regapi cognito serve` process; boto3 still
# wants credentials to sign with, and must never find real ones.
for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_SESSION_TOKEN", ""),
):
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)

# The test client is the trusted proxy in front of the API, so X-Forwarded-For names the caller.
TRUSTED = ("127.0.0.1",)
ACME_KEY = "acme-hr-demo-key"
SHOP_KEY = "shop-backoffice-demo-key"


class LiveServer:
    """uvicorn in a thread, on a socket bound before start so the port is known and never raced."""

    def __init__(self, app: Starlette) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


SECRET_FIELDS = frozenset({"password", "newPassword", "code"})


def _secret_values(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_FIELDS and isinstance(item, str) and len(item) >= 6:
                yield item
            else:
                yield from _secret_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item)


class Cognito(Protocol):
    """What a test needs of the Cognito behind the API: its outbox and its clock."""

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]: ...

    def advance(self, delta: timedelta) -> None: ...

    def now(self) -> datetime: ...


class InProcessCognito:
    """The embedded backend: the API's own /dev/outbox and the clock handed to create_app."""

    def __init__(self, http: httpx.Client, clock: ManualClock) -> None:
        self._http, self._clock = http, clock

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]:
        response = self._http.get("/dev/outbox", params={"tenant": tenant, "username": username})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

    def advance(self, delta: timedelta) -> None:
        self._clock.advance(delta)

    def now(self) -> datetime:
        return self._clock.now()


class StandaloneCognito:
    """A `regapi cognito serve --manual-clock` process, reached over HTTP like any Cognito endpoint."""

    def __init__(self, url: str, tenants: dict[str, TenantPolicy]) -> None:
        self.url, self._tenants = url, tenants
        self._http = httpx.Client(base_url=url, timeout=30)

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]:
        stored = normalize_username(self._tenants[tenant].policy, username)
        response = self._http.get("/outbox", params={"tenant": tenant, "username": stored})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

    def _clock(self, seconds: float) -> datetime:
        response = self._http.post("/clock", params={"advance": str(seconds)})
        assert response.status_code == 200, response.text
        return datetime.fromisoformat(response.json()["now"])

    def advance(self, delta: timedelta) -> None:
        self._clock(delta.total_seconds())

    def now(self) -> datetime:
        return self._clock(0)


@dataclass
class Api:
    """A GraphQL client over real HTTP, plus the outbox and clock of the Cognito behind the API.

    Every password and code it sends or reads is remembered; a response that echoes one fails at once,
    and the `no_secret_in_logs` fixture fails a test that let one reach a log line.
    """

    http: httpx.Client
    cognito: Cognito
    secrets: set[str] = field(default_factory=set)

    def advance(self, delta: timedelta) -> None:
        self.cognito.advance(delta)

    def now(self) -> datetime:
        return self.cognito.now()

    def gql(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        sent = set(_secret_values(variables or {}))
        self.secrets |= sent
        if token:
            self.secrets.add(token)
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        # No response carries a password, temporary password or API key the suite has seen, nor a code it
        # was sent. (Six-digit codes are only checked where sent: by chance they occur inside tokens.)
        watched = sent | {secret for secret in self.secrets if len(secret) >= 8}
        leaked = [secret for secret in watched if secret in response.text]
        assert not leaked, "a response contains a password, code or key"
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> Any:
        body = self.gql(query, variables, token=token)
        assert "errors" not in body, body
        (value,) = body["data"].values()
        return value

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]:
        return self.cognito.outbox(tenant, username)

    def last_code(self, tenant: str, username: str) -> str:
        codes = [m["code"] for m in self.outbox(tenant, username) if m["kind"] == "SIGN_UP_CODE"]
        assert codes, f"no code was sent to {username}"
        self.secrets.add(str(codes[-1]))
        return str(codes[-1])

    def temporary_password(self, tenant: str, username: str) -> str:
        sent = [m["temporaryPassword"] for m in self.outbox(tenant, username) if m["kind"] == "INVITATION"]
        assert sent, f"no invitation was sent to {username}"
        self.secrets.add(str(sent[-1]))
        return str(sent[-1])


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo tenants plus the test-only ones, as one policy directory."""
    directory = tmp_path_factory.mktemp("policies")
    for source in (DEMO_POLICIES, TEST_POLICIES):
        for path in source.glob("*.yaml"):
            shutil.copy(path, directory / path.name)
    return directory


@pytest.fixture(scope="session")
def log_capture() -> Iterator[list[str]]:
    """Every log line of the session, so a test can check that no secret was ever logged."""
    lines: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collector(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture(scope="session")
def embedded_api(policy_dir: Path, log_capture: list[str]) -> Iterator[Api]:
    """The API on the in-process embedded Cognito (the default backend)."""
    clock = ManualClock()
    app = create_app(Settings(policy_dir=policy_dir, trusted_proxies=TRUSTED), clock=clock)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Api(http=http, cognito=InProcessCognito(http, clock))


@pytest.fixture(scope="session")
def standalone_cognito(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `regapi cognito serve` process on a free loopback port; yields its URL."""
    log = tmp_path_factory.mktemp("cognito-serve") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "cognito", "serve", "--port", "0", "--manual-clock"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not (match := re.search(r"listening on (http://\S+)", log.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"regapi cognito serve did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def provision_remote(url: str, policy_dir: Path, target: Path) -> dict[str, str]:
    """Create the tenants' pools on a Cognito endpoint as an operator would, and write policies naming them.

    Returns the environment variables holding client secrets.
    """
    client = create_client("us-east-1", url)
    tenants = load_directory(policy_dir)
    pools: dict[str, list[TenantPolicy]] = {}
    for tenant in tenants.values():
        pools.setdefault(tenant.policy.cognito.user_pool, []).append(tenant)
    secrets: dict[str, str] = {}
    for name, members in pools.items():
        policies = [t.policy for t in members]
        pool_id = client.create_user_pool(**pool_parameters(name, policies))["UserPool"]["Id"]
        app_client = client.create_user_pool_client(UserPoolId=pool_id, **client_parameters(policies))["UserPoolClient"]
        # As an operator would: the pool's client has a secret, named by every tenant using the pool.
        secret_env = f"{name.upper()}_CLIENT_SECRET"
        secrets[secret_env] = app_client["ClientSecret"]
        for tenant in members:
            data = yaml.safe_load(tenant.path.read_text(encoding="utf-8"))
            data["cognito"].update(user_pool_id=pool_id, client_id=app_client["ClientId"], client_secret_env=secret_env)
            (target / tenant.path.name).write_text(yaml.safe_dump(data), encoding="utf-8")
    return secrets


@pytest.fixture(scope="session")
def standalone_api(
    standalone_cognito: str, policy_dir: Path, tmp_path_factory: pytest.TempPathFactory, log_capture: list[str]
) -> Iterator[Api]:
    """The API on the aws backend, against the standalone embedded Cognito in another process."""
    target = tmp_path_factory.mktemp("aws-policies")
    secrets = provision_remote(standalone_cognito, policy_dir, target)
    previous = {name: os.environ.get(name) for name in secrets}
    os.environ.update(secrets)
    try:
        app = create_app(
            Settings(policy_dir=target, backend="aws", cognito_endpoint=standalone_cognito, trusted_proxies=TRUSTED)
        )
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            cognito = StandaloneCognito(standalone_cognito, load_directory(target))
            yield Api(http=http, cognito=cognito)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session", params=["embedded", "aws"])
def api(request: pytest.FixtureRequest) -> Api:
    """The API's flow tests run twice: on the in-process embedded Cognito, and on the aws backend against
    `regapi cognito serve` over real HTTP, the code path production uses."""
    fixture = "embedded_api" if request.param == "embedded" else "standalone_api"
    value: Api = request.getfixturevalue(fixture)
    return value


@pytest.fixture(autouse=True)
def no_secret_in_logs(request: pytest.FixtureRequest, log_capture: list[str]) -> Iterator[None]:
    """After each test that used the API: none of its passwords, codes or keys is in any log line."""
    yield
    used = [name for name in ("api", "embedded_api") if name in request.fixturenames]
    if not used:
        return
    api: Api = request.getfixturevalue(used[0])
    logged = "\n".join(log_capture)
    leaked = [secret for secret in api.secrets if secret in logged]
    assert not leaked, f"{len(leaked)} secret(s) reached the logs"


@pytest.fixture(autouse=True)
def client_address(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test calls from its own address (through the trusted local proxy), as separate people would:
    the per-address attempt limits then count one test's requests, not the whole suite's."""
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    clients = [request.getfixturevalue(name).http for name in ("api", "embedded_api") if name in request.fixturenames]
    for http in clients:
        http.headers["X-Forwarded-For"] = address
    yield address
    for http in clients:
        http.headers.pop("X-Forwarded-For", None)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
