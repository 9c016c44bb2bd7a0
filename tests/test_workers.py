"""Several processes serving the same tenants: REGAPI_WORKERS=2 on one port, and two `regapi serve` processes
on two ports, on the aws backend (a `regapi cognito serve` process) with one real Redis.

They share one user's attempt limit and one tenant's Cognito quota bucket (Redis) and challenge sessions
(one REGAPI_SESSION_SECRET, or in development one the supervisor makes up for its workers), and the
metrics port adds up every worker's counts. Which worker answered is read from the operating system
(tests.helpers.workers), never from the response. The processes start together, once for the module.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from api.policy import load_directory
from tests.helpers import ACME_KEY, DEMO_POLICIES, ROOT, TEST_POLICIES
from tests.helpers.burst import burst_to, result
from tests.helpers.client import Api, StandaloneCognito
from tests.helpers.documents import INVITE_USER, REGISTRATION_FORM, SIGN_UP, attrs
from tests.helpers.flows import NEW_PASSWORD, confirm, respond, sign_in, sign_up
from tests.helpers.leaks import LogScan
from tests.helpers.processes import wait_until
from tests.helpers.raw_http import connect, read_answer
from tests.helpers.server import provision_remote
from tests.helpers.workers import Pinned, Served, an_address, pinned

HOST = "api.workers.example"  # production's REGAPI_ALLOWED_HOSTS
WRONG_PASSWORDS = 6  # quick's wrong_passwords_per_user here


@dataclass
class Fleet:
    cognito: StandaloneCognito
    one: Served  # one worker each, on two ports, one Redis and one session secret; `one` has a metrics port
    two: Served
    production: Served  # REGAPI_WORKERS=2 in production: Redis, its secret, the metrics port
    development: Served  # REGAPI_WORKERS=2 in development: no Redis, no secret
    lifecycle: Served  # REGAPI_WORKERS=2, for the test that kills a worker, then stops them all
    aws: dict[str, str]  # the environment of all of them: the aws backend, the policies, the client secrets
    redis_url: str  # the Redis of `one`, `two` and `production`

    def all(self) -> list[Served]:
        return [self.one, self.two, self.production, self.development, self.lifecycle]


@pytest.fixture(scope="module")
def fleet(standalone_cognito: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    source, target = tmp_path_factory.mktemp("workers-source"), tmp_path_factory.mktemp("workers-policies")
    quick = yaml.safe_load((TEST_POLICIES / "quick.yaml").read_text(encoding="utf-8"))
    quick["limits"] = {"wrong_passwords_per_user": f"{WRONG_PASSWORDS} per hour"}
    (source / "quick.yaml").write_text(yaml.safe_dump(quick), encoding="utf-8")
    shutil.copy(DEMO_POLICIES / "acme.yaml", source / "acme.yaml")
    client_secrets = provision_remote(standalone_cognito, source, target)
    logs = tmp_path_factory.mktemp("workers-logs")
    aws = {
        "REGAPI_BACKEND": "aws",
        "REGAPI_COGNITO_ENDPOINT": standalone_cognito,
        "REGAPI_POLICY_DIR": str(target),
        "REGAPI_TRUSTED_PROXIES": "127.0.0.1",
        **client_secrets,
    }
    shared = {**aws, "REGAPI_REDIS_URL": redis_url, "REGAPI_SESSION_SECRET": secrets.token_urlsafe(32)}
    production = {**shared, "REGAPI_ENV": "production", "REGAPI_ALLOWED_HOSTS": HOST, "REGAPI_WORKERS": "2"}
    several = {**aws, "REGAPI_WORKERS": "2", "REGAPI_HEADER_TIMEOUT": "2"}
    started = Fleet(
        StandaloneCognito(standalone_cognito, load_directory(target)),
        Served.start(shared, logs / "one.log", metrics=True),
        Served.start(shared, logs / "two.log"),
        Served.start(production, logs / "production.log", metrics=True),
        Served.start(several, logs / "development.log"),
        Served.start(several, logs / "lifecycle.log"),
        aws,
        redis_url,
    )
    try:
        for served in (started.one, started.two):
            served.wait_ready()
        for served in (started.production, started.development, started.lifecycle):
            served.wait_ready(workers=2)
        yield started
    finally:
        for served in started.all():
            served.stop()


def assert_each_answered_by_its_worker(*clients: Pinned) -> None:
    """Every answer a client got came from the worker it was pinned to (its connection was never replaced)."""
    for client in clients:
        assert set(client.answered) == {client.pid}


def unique_name() -> str:
    return secrets.token_hex(5)


def assert_no_secret_logged(servers: list[Served], *apis: Api) -> None:
    text = [line for served in servers for line in served.text().splitlines()]
    leaked = LogScan().leaked(text, {secret for api in apis for secret in api.secrets})
    assert not leaked, f"{len(leaked)} secret(s) reached the logs of regapi serve"


def regapi_serve(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGAPI_")}
    return subprocess.run(
        [sys.executable, "-m", "api", "serve"],
        cwd=ROOT,
        env={**clean, "REGAPI_PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# ------------------------------------------------------------------ refused before any worker starts


def test_several_workers_on_the_embedded_backend_are_refused() -> None:
    result = regapi_serve(REGAPI_WORKERS="2")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "regapi: REGAPI_WORKERS=2 with the embedded Cognito: it keeps its users in one process's memory, so "
        "each worker would have users of its own. For several processes run `regapi cognito serve` and set "
        "REGAPI_BACKEND=aws and REGAPI_COGNITO_ENDPOINT to its address"
    )


def test_several_workers_in_production_without_redis_are_refused() -> None:
    result = regapi_serve(
        REGAPI_WORKERS="3",
        REGAPI_BACKEND="aws",
        REGAPI_ENV="production",
        REGAPI_SESSION_SECRET="s" * 32,
        REGAPI_ALLOWED_HOSTS=HOST,
    )
    assert result.returncode == 2
    (refusal,) = [json.loads(line) for line in result.stderr.splitlines()]  # production logs JSON
    assert refusal["message"] == (
        "regapi: REGAPI_WORKERS=3 in production needs REGAPI_REDIS_URL: without it each worker counts its own "
        "attempt limits and quotas, and a client gets every limit once per worker"
    )


def test_a_metrics_port_equal_to_the_public_port_is_refused() -> None:
    result = regapi_serve(REGAPI_PORT="8123", REGAPI_METRICS_PORT="8123")
    assert result.returncode == 2
    assert result.stderr.startswith("regapi: REGAPI_METRICS_PORT must differ from REGAPI_PORT (8123)")
    assert len(result.stderr.splitlines()) == 1


def test_a_policy_problem_is_told_once_not_once_per_worker(tmp_path: Path) -> None:
    broken = (DEMO_POLICIES / "acme.yaml").read_text(encoding="utf-8").replace("self_signup: false", "self_signup: 7")
    (tmp_path / "acme.yaml").write_text(broken, encoding="utf-8")
    result = regapi_serve(
        REGAPI_WORKERS="4",
        REGAPI_BACKEND="aws",
        REGAPI_COGNITO_ENDPOINT="http://127.0.0.1:9",
        REGAPI_POLICY_DIR=str(tmp_path),
        REGAPI_STRICT_POLICIES="1",
    )
    assert result.returncode == 1
    assert result.stderr.count("regapi: refusing to start, the policies have problems:") == 1
    assert "registration.self_signup" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Started server process" not in result.stderr  # no worker was spawned


def test_a_configuration_problem_is_told_once_not_once_per_worker() -> None:
    result = regapi_serve(
        REGAPI_WORKERS="4",
        REGAPI_BACKEND="aws",
        REGAPI_ENV="production",
        REGAPI_REDIS_URL="redis://127.0.0.1:9/0",
        REGAPI_POLICY_DIR=str(DEMO_POLICIES),
    )
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # production logs JSON, refusals too
    (refusal,) = [line for line in lines if line["level"] == "ERROR"]
    assert refusal["message"] == (
        "regapi: refusing to start: REGAPI_ENV=production needs REGAPI_SESSION_SECRET (it seals challenge sessions)"
    )
    assert refusal["exit_status"] == 1


def test_several_workers_without_redis_in_development_are_warned_about_once(fleet: Fleet) -> None:
    warnings = [line for line in fleet.development.text().splitlines() if "without REGAPI_REDIS_URL" in line]
    assert len(warnings) == 1
    assert "WARNING" in warnings[0]
    assert "each worker counts its own attempt limits and quotas" in warnings[0]


# ------------------------------------------------------------------ two processes, one Redis


def api_of(served: Served, fleet: Fleet, **headers: str) -> Api:
    http = httpx.Client(base_url=served.url, timeout=30, headers={"X-Forwarded-For": an_address(), **headers})
    return Api(http=http, cognito=fleet.cognito)


def wrong_passwords_until_refused(apis: list[Api], username: str) -> list[str]:
    """Wrong passwords for one user, each API in turn, one past the limit on each of them."""
    codes = []
    for n in range(WRONG_PASSWORDS + len(apis)):
        answer = sign_in(apis[n % len(apis)], username, f"wrong password {n}", tenant="quick")
        codes.append(answer["code"])
    return codes


def test_one_users_wrong_passwords_are_counted_once_by_two_processes(fleet: Fleet) -> None:
    one, two = api_of(fleet.one, fleet), api_of(fleet.two, fleet)
    username = f"limit-{unique_name()}@quick.example"
    assert sign_up(one, username, tenant="quick", email=username)["__typename"] == "SignUpSuccess"
    assert confirm(two, username, one.last_code("quick", username), tenant="quick")["userStatus"] == "CONFIRMED"
    # Three wrong passwords on each process reach the limit of six: each counted alone would allow twelve.
    codes = wrong_passwords_until_refused([one, two], username)
    assert codes == ["NOT_AUTHORIZED"] * WRONG_PASSWORDS + ["TOO_MANY_ATTEMPTS"] * 2
    assert_no_secret_logged([fleet.one, fleet.two], one, two)


def invite(api: Api) -> tuple[str, str]:
    """A user invited to acme, and the temporary password the invitation carries."""
    username = f"session-{unique_name()}"
    attributes = attrs(email=f"{username}@acme.example", custom_employee_id="E000042")
    invited = api.data(
        INVITE_USER, {"input": {"tenant": "acme", "username": username, "attributes": attributes}}, token=ACME_KEY
    )
    assert invited["__typename"] == "InviteUserSuccess", invited
    return username, api.temporary_password("acme", username)


def test_a_session_sealed_by_one_process_opens_in_the_other(fleet: Fleet) -> None:
    one, two = api_of(fleet.one, fleet), api_of(fleet.two, fleet)
    username, temporary = invite(one)
    challenge = sign_in(one, username, temporary, tenant="acme")
    assert challenge["__typename"] == "NewPasswordRequired"
    answer = respond(two, username, challenge["session"], NEW_PASSWORD, name="Sam Example")
    assert answer["__typename"] == "SignInSuccess", answer
    assert_no_secret_logged([fleet.one, fleet.two], one, two)


# UserCreation's rate for the quota test, per second: a bucket of one token (never less than one), the next
# due 5 s later. Shared, a burst gets 1 sign-up through as long as its takes span under 5 s; two buckets of
# their own let 1 through each, 2 at the least, whatever the load: the lowest rate keeps the two furthest
# apart (at 2/s, one bucket's 2 plus its refill reaches two buckets' 4 once the burst spans a second).
QUOTA_RATE = 0.2
QUOTA_SIGN_UPS = 16


def test_one_tenants_cognito_quota_is_shared_by_two_processes_through_redis(fleet: Fleet, tmp_path: Path) -> None:
    """Two processes with UserCreation at 0.2 a second, one Redis: 16 sign-ups for quick, 8 to each,
    released together. One bucket's token gets through, not one a process; the other 15 answer
    SERVICE_UNAVAILABLE with the seconds until the shared bucket's next token (quick alone holds the
    whole rate: at most 5), and Cognito never saw them."""
    # A database of its own: the fleet's processes keep UserCreation at AWS's 50/s in database 0, and a
    # tenant they made active there in the last seconds would hold a share of this small bucket.
    database = f"{fleet.redis_url.rpartition('/')[0]}/1"
    env = {**fleet.aws, "REGAPI_REDIS_URL": database, "REGAPI_COGNITO_QUOTAS": f"UserCreation={QUOTA_RATE}"}
    processes = [Served.start(env, tmp_path / f"quota-{n}.log") for n in (1, 2)]
    password = f"quota pass {unique_name()}"
    usernames = [f"quota-{unique_name()}@quick.example" for _ in range(QUOTA_SIGN_UPS)]
    requests = [
        (
            SIGN_UP,
            {"input": {"tenant": "quick", "username": name, "password": password, "attributes": attrs(email=name)}},
        )
        for name in usernames
    ]
    try:
        for served in processes:
            served.wait_ready()
        targets = [(processes[n % 2].url, {"X-Forwarded-For": an_address()}) for n in range(QUOTA_SIGN_UPS)]
        answers = [result(body) for body in burst_to(targets, requests)]
    finally:
        for served in processes:
            served.stop()
    succeeded = [
        name for name, answer in zip(usernames, answers, strict=True) if answer["__typename"] == "SignUpSuccess"
    ]
    refused = [answer for answer in answers if answer["__typename"] != "SignUpSuccess"]
    assert len(succeeded) == 1, answers  # two buckets of their own: 2 or more
    assert {answer["code"] for answer in refused} == {"SERVICE_UNAVAILABLE"}, refused
    assert all(1 <= answer["retryAfterSeconds"] <= 1 / QUOTA_RATE for answer in refused), refused
    sent = {name: len(fleet.cognito.outbox("quick", name)) for name in usernames}
    assert sent == {name: int(name in succeeded) for name in usernames}  # a refusal costs no Cognito call
    lines = [line for served in processes for line in served.text().splitlines()]
    assert not LogScan().leaked(lines, {password}), "the password reached the logs of regapi serve"


# ------------------------------------------------------------------ two workers, one port


def test_both_workers_of_one_port_count_one_users_wrong_passwords(fleet: Fleet) -> None:
    first, second = pinned(fleet.production, fleet.cognito, Host=HOST)
    username = f"workers-{unique_name()}@quick.example"
    assert sign_up(first.api, username, tenant="quick", email=username)["__typename"] == "SignUpSuccess"
    code = first.api.last_code("quick", username)
    assert confirm(second.api, username, code, tenant="quick")["userStatus"] == "CONFIRMED"
    codes = wrong_passwords_until_refused([first.api, second.api], username)
    assert codes == ["NOT_AUTHORIZED"] * WRONG_PASSWORDS + ["TOO_MANY_ATTEMPTS"] * 2
    assert_each_answered_by_its_worker(first, second)
    assert_no_secret_logged([fleet.production], first.api, second.api)


def requests_counted(metrics_url: str) -> float:
    """regapi_requests_total of registrationForm, summed over its outcomes, as the metrics port says."""
    text = httpx.get(f"{metrics_url}/metrics").text
    return sum(
        float(line.rpartition(" ")[2])
        for line in text.splitlines()
        if line.startswith('regapi_requests_total{operation="registrationForm"')
    )


def test_the_metrics_port_adds_up_the_requests_of_both_workers(fleet: Fleet) -> None:
    assert fleet.production.metrics_url is not None
    first, second = pinned(fleet.production, fleet.cognito, Host=HOST)
    before = requests_counted(fleet.production.metrics_url)
    form = {"tenant": "quick", "operation": "SIGN_UP"}
    for pinned_api, times in ((first, 3), (second, 4)):  # unequal, so no one worker's count can pass for both
        for _ in range(times):
            assert pinned_api.api.data(REGISTRATION_FORM, form)["enabled"] is True
    assert_each_answered_by_its_worker(first, second)
    assert requests_counted(fleet.production.metrics_url) - before == 7
    # In production the public port has no /metrics: only the metrics port serves it.
    assert first.api.http.get("/metrics").status_code == 404


def test_a_single_process_serves_its_metrics_port(fleet: Fleet) -> None:
    assert fleet.one.metrics_url is not None
    one = api_of(fleet.one, fleet)
    before = requests_counted(fleet.one.metrics_url)
    assert one.data(REGISTRATION_FORM, {"tenant": "quick", "operation": "SIGN_UP"})["enabled"] is True
    assert requests_counted(fleet.one.metrics_url) - before == 1


def test_the_metrics_port_listens_on_its_own_host(tmp_path: Path) -> None:
    """REGAPI_METRICS_HOST=127.0.0.1 while the API listens on every address: the scrape port stays on the
    loopback interface."""
    shutil.copy(TEST_POLICIES / "quick.yaml", tmp_path / "quick.yaml")
    env = {"REGAPI_POLICY_DIR": str(tmp_path), "REGAPI_HOST": "0.0.0.0", "REGAPI_METRICS_HOST": "127.0.0.1"}  # noqa: S104
    served = Served.start(env, tmp_path / "serve.log", metrics=True)
    try:
        served.wait_ready()
        assert served.metrics_url is not None
        assert httpx.get(f"{served.metrics_url}/metrics").status_code == 200
        served.wait_for(f"regapi metrics on {served.metrics_url}/metrics")
    finally:
        served.stop()


def test_a_metrics_port_in_use_is_refused(tmp_path: Path) -> None:
    shutil.copy(TEST_POLICIES / "quick.yaml", tmp_path / "quick.yaml")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = regapi_serve(REGAPI_POLICY_DIR=str(tmp_path), REGAPI_METRICS_PORT=str(port))
    assert result.returncode == 1
    assert f"regapi: cannot listen on 127.0.0.1:{port} for /metrics: " in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_broken_after_the_supervisors_check_refuses_only_its_tenant_in_the_workers(
    fleet: Fleet, tmp_path: Path
) -> None:
    """REGAPI_STRICT_POLICIES is the supervisor's, at start. A file broken before the workers read it (they
    start seconds later), or before a dead worker is replaced, refuses its own tenant in that worker, as hot
    reload does: the workers serve the others, and /readyz names the file; nothing stops them all."""
    policies = tmp_path / "policies"
    shutil.copytree(fleet.aws["REGAPI_POLICY_DIR"], policies)
    env = {**fleet.aws, "REGAPI_POLICY_DIR": str(policies), "REGAPI_STRICT_POLICIES": "1", "REGAPI_WORKERS": "2"}
    env["REGAPI_RELOAD"] = "0"
    served = Served.start(env, tmp_path / "serve.log")
    try:
        served.wait_for("with 2 worker processes")  # logged just before the supervisor spawns them
        (policies / "quick.yaml").write_text("version: 1\nregistration: [", encoding="utf-8")
        served.wait_ready(workers=2)
        ready = httpx.get(f"{served.url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert [refused["file"].endswith("quick.yaml") for refused in ready.json()["refused"]] == [True]
        assert served.process.poll() is None
    finally:
        served.stop()
    assert "Traceback" not in served.text()


def test_a_session_sealed_by_one_worker_opens_in_another_with_the_secret_the_supervisor_made(fleet: Fleet) -> None:
    first, second = pinned(fleet.development, fleet.cognito)
    made_up = {fleet.development.environment(pid).get("REGAPI_SESSION_SECRET") for pid in (first.pid, second.pid)}
    assert len(made_up) == 1  # the same in both
    assert None not in made_up  # and set by the supervisor: the test set none
    username, temporary = invite(first.api)
    challenge = sign_in(first.api, username, temporary, tenant="acme")
    assert challenge["__typename"] == "NewPasswordRequired"
    answer = respond(second.api, username, challenge["session"], NEW_PASSWORD, name="Kim Example")
    assert answer["__typename"] == "SignInSuccess", answer
    assert_each_answered_by_its_worker(first, second)
    second.api.secrets |= {secret for secret in made_up if secret}
    assert_no_secret_logged([fleet.development], first.api, second.api)


def test_the_workers_keep_the_header_time_limit(fleet: Fleet) -> None:
    """REGAPI_HEADER_TIMEOUT reaches the protocol of the spawned workers (uvicorn pickles their Config)."""
    with connect(fleet.development.url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")  # and the headers never end
        answer = read_answer(sock)
    assert answer.status == 408
    assert answer.json()["errors"][0]["message"] == "The request headers did not arrive within 2 s."


def test_a_dead_worker_is_replaced_and_sigterm_stops_every_worker(fleet: Fleet) -> None:
    served = fleet.lifecycle
    dead, survivor = (client.pid for client in pinned(served, fleet.cognito))
    directory = Path(served.environment(dead)["PROMETHEUS_MULTIPROC_DIR"])
    assert (directory / f"gauge_livemax_{dead}.db").exists()  # its live gauges, which the supervisor drops
    os.kill(dead, signal.SIGKILL)
    wait_until(lambda: not (directory / f"gauge_livemax_{dead}.db").exists(), "the dead worker's gauges dropped")
    serving = {client.pid for client in pinned(served, fleet.cognito)}
    assert survivor in serving
    assert dead not in serving  # its replacement answers
    assert served.stop(signal.SIGTERM) == 0
    assert not [pid for pid in serving if Path(f"/proc/{pid}").exists()]
    assert not directory.exists()
