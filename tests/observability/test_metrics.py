"""Prometheus metrics, read over HTTP from GET /metrics after real requests.

Every app of the session shares the process's metrics, so each test compares values before and after
what it does (deltas), never absolute values.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.clock import ManualClock
from api.observability import metrics
from api.settings import Settings
from tests.helpers import DEMO_POLICIES, ROOT, TEST_POLICIES
from tests.helpers.client import Api
from tests.helpers.documents import REGISTRATION_FORM
from tests.helpers.flows import confirm, sign_in, sign_up
from tests.helpers.server import LiveServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(http: httpx.Client) -> Samples:
    response = http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


# ------------------------------------------------------------------ requests, decisions, Cognito calls


def test_a_sign_up_and_a_sign_in_are_counted_with_their_cognito_calls(embedded_api: Api, unique: str) -> None:
    username = f"m-{unique}@shop.example"
    before = scrape(embedded_api.http)
    assert sign_up(embedded_api, username)["__typename"] == "SignUpSuccess"
    assert confirm(embedded_api, username, embedded_api.last_code("shop", username))["userStatus"] == "CONFIRMED"
    assert sign_in(embedded_api, username)["__typename"] == "SignInSuccess"
    after = scrape(embedded_api.http)

    for operation in ("signUp", "confirmSignUp", "signIn"):
        assert delta(before, after, "regapi_requests_total", operation=operation, outcome="success") == 1
        assert delta(before, after, "regapi_request_seconds_count", operation=operation) == 1
    assert delta(before, after, "regapi_cognito_calls_total", api="sign_up", outcome="ok") == 1
    assert delta(before, after, "regapi_cognito_call_seconds_count", api="sign_up") == 1
    # The histogram's buckets: a call of the embedded Cognito takes well under 10 s.
    assert delta(before, after, "regapi_cognito_call_seconds_bucket", api="sign_up", le="10.0") == 1
    assert delta(before, after, "regapi_cognito_call_seconds_sum", api="sign_up") > 0
    assert delta(before, after, "regapi_cognito_calls_total", api="confirm_sign_up", outcome="ok") == 1
    assert delta(before, after, "regapi_decisions_total", tenant="shop", operation="sign_up", allowed="true") == 1


def test_a_refusal_is_counted_under_its_code(embedded_api: Api, unique: str) -> None:
    username = f"m-{unique}@shop.example"
    sign_up(embedded_api, username)
    before = scrape(embedded_api.http)
    assert sign_in(embedded_api, username, "not the password 1")["code"] == "NOT_AUTHORIZED"
    after = scrape(embedded_api.http)
    assert delta(before, after, "regapi_requests_total", operation="signIn", outcome="NOT_AUTHORIZED") == 1
    assert delta(before, after, "regapi_requests_total", operation="signIn", outcome="success") == 0
    # Cognito's own refusal, under the code it was translated to.
    assert delta(before, after, "regapi_cognito_calls_total", api="initiate_auth", outcome="NOT_AUTHORIZED") == 1


def test_a_denied_decision_counts_its_violation_codes(embedded_api: Api, unique: str) -> None:
    """Relies on api.registration.tenancy.decide calling metrics.decision (the lead's wiring)."""
    before = scrape(embedded_api.http)
    denied = sign_up(embedded_api, f"m-{unique}@shop.example", password="short")
    assert denied["__typename"] == "PolicyDenied"
    codes = {v["code"] for v in denied["violations"]}
    assert "PASSWORD_TOO_SHORT" in codes
    after = scrape(embedded_api.http)
    assert delta(before, after, "regapi_requests_total", operation="signUp", outcome=denied["code"]) == 1
    assert delta(before, after, "regapi_decisions_total", tenant="shop", operation="sign_up", allowed="false") == 1
    for code in codes:
        labels = {"tenant": "shop", "operation": "sign_up", "code": code}
        assert delta(before, after, "regapi_decision_violations_total", **labels) == 1
    assert delta(before, after, "regapi_cognito_calls_total", api="sign_up", outcome="ok") == 0


def test_a_limit_refusal_is_counted_by_tenant_and_limit(embedded_api: Api, unique: str) -> None:
    """Relies on api.registration.limits._refuse calling metrics.limit_refused (the lead's wiring)."""
    ghost = f"ghost-{unique}@quick.example"
    before = scrape(embedded_api.http)
    answers = [confirm(embedded_api, ghost, "123456", tenant="quick")["code"] for _ in range(6)]
    assert answers == ["CODE_MISMATCH"] * 5 + ["TOO_MANY_ATTEMPTS"]
    after = scrape(embedded_api.http)
    labels = {"tenant": "quick", "limit": "wrong_codes_per_user"}
    assert delta(before, after, "regapi_attempts_refused_total", **labels) == 1
    assert delta(before, after, "regapi_requests_total", operation="confirmSignUp", outcome="TOO_MANY_ATTEMPTS") == 1


def test_invalid_documents_and_top_level_errors(embedded_api: Api) -> None:
    http = embedded_api.http
    before = scrape(http)
    missing = http.post("/graphql", json={"query": "mutation { signUp { __typename } }"}).json()
    assert missing["errors"]
    assert missing.get("data") is None
    unparsable = http.post("/graphql", json={"query": "mutation { signUp("}).json()
    assert unparsable["errors"]
    unknown = http.post("/graphql", json={"query": "{ noSuchField }"}).json()
    assert unknown["errors"]
    nowhere = http.post(
        "/graphql", json={"query": REGISTRATION_FORM, "variables": {"tenant": "nowhere", "operation": "SIGN_UP"}}
    ).json()
    assert nowhere["errors"][0]["extensions"]["code"] == "TENANT_NOT_FOUND"
    after = scrape(http)
    assert delta(before, after, "regapi_requests_total", operation="signUp", outcome="invalid") == 1
    # A document that did not parse, and a field the schema has not (the caller's name is no label).
    assert delta(before, after, "regapi_requests_total", operation="other", outcome="invalid") == 2
    labels = {"operation": "registrationForm", "outcome": "TENANT_NOT_FOUND"}
    assert delta(before, after, "regapi_requests_total", **labels) == 1
    assert not any(dict(labelled).get("operation") == "noSuchField" for _, labelled in after)


def test_no_username_address_or_alias_reaches_a_label(embedded_api: Api, unique: str, client_address: str) -> None:
    username = f"canary{unique}@shop.example"
    sign_up(embedded_api, username)
    sign_in(embedded_api, username, "not the password 1")
    sign_up(embedded_api, f"canary{unique}x@shop.example", password="short")
    aliased = f"alias{unique}"
    document = f'{{ {aliased}: registrationForm(tenant: "canary{unique}", operation: SIGN_UP) {{ enabled }} }}'
    embedded_api.http.post("/graphql", json={"query": document}, headers={"Origin": f"https://o{unique}.example"})
    text = embedded_api.http.get("/metrics").text
    assert "regapi_requests_total" in text
    for chosen in (f"canary{unique}", aliased, f"o{unique}.example", client_address):
        assert chosen not in text


def test_an_unknown_tenant_is_never_a_label() -> None:
    """A tenant no store serves (a request naming one, the quota's unscoped calls) is counted as `-`."""
    before = parse(metrics.exposition()[0].decode())
    metrics.quota_refused("tenant-nobody-wrote", "UserCreation")
    metrics.quota_refused("shop", "UserCreation")
    after = parse(metrics.exposition()[0].decode())
    assert delta(before, after, "regapi_quota_refused_total", tenant="-", category="UserCreation") == 1
    assert delta(before, after, "regapi_quota_refused_total", tenant="shop", category="UserCreation") == 1


# ------------------------------------------------------------------ policy reloads


@pytest.fixture
def reloading(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    for path in DEMO_POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    app = create_app(Settings(policy_dir=tmp_path), clock=ManualClock())
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http, tmp_path


def test_policy_reloads_applied_and_refused_are_counted(reloading: tuple[httpx.Client, Path]) -> None:
    http, directory = reloading
    before = scrape(http)
    served = http.get("/readyz").json()["tenants"]
    assert value(before, "regapi_tenants") == served
    assert value(before, "regapi_policies_refused") == 0

    club = yaml.safe_load((TEST_POLICIES / "club.yaml").read_text(encoding="utf-8"))
    (directory / "club.yaml").write_text(yaml.safe_dump(club), encoding="utf-8")
    assert eventually(lambda: http.get("/readyz").json()["tenants"] == served + 1)
    (directory / "broken.yaml").write_text("version: 1\nnot_a_key: [\n", encoding="utf-8")
    assert eventually(lambda: http.get("/readyz").json()["refused"])

    after = scrape(http)
    assert delta(before, after, "regapi_policy_reloads_total", outcome="applied") == 1
    assert delta(before, after, "regapi_policy_reloads_total", outcome="refused") == 1
    assert value(after, "regapi_tenants") == served + 1
    assert value(after, "regapi_policies_refused") == 1


# ------------------------------------------------------------------ where /metrics is served


def test_production_does_not_serve_metrics_on_the_public_listener(tmp_path: Path) -> None:
    policy = yaml.safe_load((TEST_POLICIES / "club.yaml").read_text(encoding="utf-8"))
    policy["cognito"].update(user_pool_id="us-east-1_Nowhere01", client_id="nowhere")
    (tmp_path / "club.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    settings = Settings(
        policy_dir=tmp_path,
        backend="aws",
        cognito_endpoint="http://127.0.0.1:9",  # nothing listens: registrationForm needs no Cognito
        production=True,
        session_secret=b"s" * 32,
        reload=False,
        allowed_hosts=("api.club.example",),
    )
    with LiveServer(create_app(settings)) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        http.headers["Host"] = "api.club.example"
        assert http.get("/healthz").status_code == 200
        assert http.get("/metrics").status_code == 404


def test_the_metrics_port_answers_what_the_development_listener_does(embedded_api: Api) -> None:
    server = metrics.serve_metrics("127.0.0.1", 0)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as port:
            served = port.get("/metrics")
            public = embedded_api.http.get("/metrics")
            assert served.status_code == 200
            assert served.headers["content-type"] == public.headers["content-type"]
            assert parse(served.text) == parse(public.text)
            assert "regapi_requests_total" in served.text
            assert port.get("/").status_code == 404
            assert port.get("/graphql").status_code == 404
    finally:
        server.shutdown()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5)


# ------------------------------------------------------------------ several worker processes

# A worker's share: counted under a category only these processes use, and a tenant count this process
# never has, so what the collection shows can only come from the workers' files.
WORKER = textwrap.dedent(
    """
    import os, sys
    from api.observability import metrics
    for _ in range(int(sys.argv[1])):
        metrics.quota_refused("-", "multiprocess-test")
    metrics.policies(1000 + int(sys.argv[1]), 0)
    print(os.getpid())
    """
)
REFUSED = {"tenant": "-", "category": "multiprocess-test"}


def test_several_processes_are_added_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes count into one directory (as `regapi serve` workers do); a collection in a third sees
    the sum of their counters and the larger gauge, and a worker's gauge leaves with it."""
    directory = tmp_path / "multiproc"
    directory.mkdir()
    env = {**os.environ, metrics.MULTIPROCESS_VARIABLE: str(directory)}
    command = [sys.executable, "-c", WORKER]
    pids = [
        int(subprocess.run([*command, str(n)], env=env, cwd=ROOT, check=True, capture_output=True).stdout)
        for n in (3, 5)
    ]
    assert value(parse(metrics.exposition()[0].decode()), "regapi_quota_refused_total", **REFUSED) == 0

    monkeypatch.setenv(metrics.MULTIPROCESS_VARIABLE, str(directory))
    both = parse(metrics.exposition()[0].decode())
    assert value(both, "regapi_quota_refused_total", **REFUSED) == 8
    assert value(both, "regapi_tenants") == 1005

    metrics.worker_exited(pids[1])
    left = parse(metrics.exposition()[0].decode())
    assert value(left, "regapi_tenants") == 1003
    assert value(left, "regapi_quota_refused_total", **REFUSED) == 8  # a counter never goes back

    server = metrics.serve_metrics("127.0.0.1", 0)  # the metrics port, as the supervisor serves it
    try:
        scraped = parse(httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=10).text)
    finally:
        server.shutdown()
    assert value(scraped, "regapi_quota_refused_total", **REFUSED) == 8
