"""Shared fixtures: the real app served by uvicorn on a loopback port, on the embedded Cognito.

One server per test session keeps the suite fast; tests keep out of each other's way by using fresh
usernames, and only move the clock forward after reading what they need from the outbox.
"""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from api.app import create_app
from api.clock import ManualClock
from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_POLICIES = ROOT / "policies"
TEST_POLICIES = Path(__file__).resolve().parent / "fixtures" / "policies"

ACME_KEY = "acme-hr-demo-key"
SHOP_KEY = "shop-backoffice-demo-key"


class LiveServer:
    """uvicorn in a thread, on a socket bound before start so the port is known and never raced."""

    def __init__(self, app: Starlette) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
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


@dataclass
class Api:
    """A GraphQL client over real HTTP, plus the embedded Cognito's clock and outbox.

    Every password and code it sends or reads is remembered; a response that echoes one fails at once,
    and the `no_secret_in_logs` fixture fails a test that let one reach a log line.
    """

    http: httpx.Client
    clock: ManualClock
    app: Starlette
    secrets: set[str] = field(default_factory=set)

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
        response = self.http.get("/dev/outbox", params={"tenant": tenant, "username": username})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

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
def api(policy_dir: Path, log_capture: list[str]) -> Iterator[Api]:
    clock = ManualClock()
    app = create_app(Settings(policy_dir=policy_dir), clock=clock)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield Api(http=http, clock=clock, app=app)


@pytest.fixture(autouse=True)
def no_secret_in_logs(request: pytest.FixtureRequest, log_capture: list[str]) -> Iterator[None]:
    """After each test that used the API: none of its passwords, codes or keys is in any log line."""
    yield
    if "api" not in request.fixturenames:
        return
    api: Api = request.getfixturevalue("api")
    logged = "\n".join(log_capture)
    leaked = [secret for secret in api.secrets if secret in logged]
    assert not leaked, f"{len(leaked)} secret(s) reached the logs"


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
