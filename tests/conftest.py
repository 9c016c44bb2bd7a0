"""Shared fixtures and hooks: the real app served by uvicorn on a loopback port, on the embedded Cognito.

One server per test session keeps the suite fast; tests keep out of each other's way by using fresh
usernames, and only move the clock forward after reading what they need from the outbox. What the
fixtures build (the `Api` client, the server, the documents and flows) is in tests/helpers/.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from api.app import create_app
from api.clock import ManualClock
from api.observability.logging import JsonFormatter, LineFormatter
from api.policy import load_directory
from api.settings import Settings
from tests.helpers import DEMO_POLICIES, TEST_POLICIES, TESTS, TRUSTED, keep_away_from_aws
from tests.helpers.client import Api, InProcessCognito, StandaloneCognito
from tests.helpers.leaks import LogScan
from tests.helpers.logs import Collector, JsonCollector, capturing
from tests.helpers.processes import free_port, wait_until
from tests.helpers.recorder import AFTER_ALL_OTHERS, DESELECTED, PARTIAL_RUN, Run, partial_run_reasons
from tests.helpers.server import LiveServer, provision_remote, variables_set


def pytest_configure(config: pytest.Config) -> None:
    keep_away_from_aws()
    config.addinivalue_line("markers", f"{AFTER_ALL_OTHERS}: run after every other test of the session")


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        stash = items[0].config.stash
        stash[DESELECTED] = stash.get(DESELECTED, 0) + len(items)


@pytest.hookimpl(trylast=True)  # after -k, -m and --deselect have dropped theirs, and fixtures reordered
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Move the tests marked after_all_others to the end, and note whether this run is the whole suite."""
    last = [item for item in items if item.get_closest_marker(AFTER_ALL_OTHERS)]
    items[:] = [item for item in items if item not in last] + last
    collected = {item.path for item in items}
    run = Run(
        tests=TESTS,
        invocation_dir=config.invocation_params.dir,
        args=list(config.args),
        from_testpaths=config.args_source == pytest.Config.ArgsSource.TESTPATHS,
        keyword=config.option.keyword,
        markexpr=config.option.markexpr,
        deselected=config.stash.get(DESELECTED, 0),
        last_failed=any(
            getattr(config.option, name, False) for name in ("lf", "failedfirst", "stepwise", "stepwise_skip")
        ),
        workers=hasattr(config, "workerinput"),
        missing_modules=sorted(
            str(path.relative_to(TESTS.parent)) for path in TESTS.rglob("test_*.py") if path not in collected
        ),
    )
    config.stash[PARTIAL_RUN] = partial_run_reasons(run)


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
    """Every log line of the session as text, so a test can check that no secret was ever logged; the
    same records as JSON lines go to `json_log_capture`."""
    yield from capturing(Collector(LineFormatter("%(name)s %(levelname)s %(message)s"), []))


@pytest.fixture(scope="session")
def json_log_capture() -> Iterator[list[str]]:
    """Every log line of the session in production's JSON format (REGAPI_LOG_FORMAT=json)."""
    yield from capturing(JsonCollector(JsonFormatter(), [], UNPARSED))


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


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a loopback port, without persistence, for the whole session (`make test`
    installs it where it is missing). Its users keep apart by their keys: fresh usernames, a key prefix of
    their own, or a database of their own."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: redis.Redis(port=port).ping(), "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def standalone_api(
    standalone_cognito: str, policy_dir: Path, tmp_path_factory: pytest.TempPathFactory, log_capture: list[str]
) -> Iterator[Api]:
    """The API on the aws backend, against the standalone embedded Cognito in another process."""
    target = tmp_path_factory.mktemp("aws-policies")
    secrets = provision_remote(standalone_cognito, policy_dir, target)
    with variables_set(secrets):
        app = create_app(
            Settings(policy_dir=target, backend="aws", cognito_endpoint=standalone_cognito, trusted_proxies=TRUSTED)
        )
        with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            cognito = StandaloneCognito(standalone_cognito, load_directory(target))
            yield Api(http=http, cognito=cognito)


@pytest.fixture(scope="session", params=["embedded", "aws"])
def api(request: pytest.FixtureRequest) -> Api:
    """The API's flow tests run twice: on the in-process embedded Cognito, and on the aws backend against
    `regapi cognito serve` over real HTTP, the code path production uses."""
    fixture = "embedded_api" if request.param == "embedded" else "standalone_api"
    value: Api = request.getfixturevalue(fixture)
    return value


_LOG_SCAN = LogScan()
_JSON_LOG_SCAN = LogScan()
UNPARSED: list[str] = []  # the loggers of JSON lines that did not parse


@pytest.fixture(autouse=True)
def no_secret_in_logs(
    request: pytest.FixtureRequest, log_capture: list[str], json_log_capture: list[str]
) -> Iterator[None]:
    """After each test that used the API: none of its passwords, codes or keys is in any log line, text or
    JSON, and every JSON line parsed."""
    yield
    used = [name for name in ("api", "embedded_api") if name in request.fixturenames]
    if not used:
        return
    api: Api = request.getfixturevalue(used[0])
    for scan, lines in ((_LOG_SCAN, log_capture), (_JSON_LOG_SCAN, json_log_capture)):
        leaked = scan.leaked(lines, api.secrets)
        assert not leaked, f"{len(leaked)} secret(s) reached the logs, through {scan.loggers(lines, leaked)}"
    assert not UNPARSED, f"JSON log lines that do not parse, by {sorted(set(UNPARSED))}"


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
