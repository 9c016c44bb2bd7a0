"""bench/perf.py and its anchors (bench/anchors.py), without load and without wrk: the anchors answer what
regapi answers, the strawberry anchor's validation cache hits, the benchmark's sign-up request signs up, and
the parts of the report that can be checked on a recorded wrk run. No timing is asserted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from strawberry.extensions.validation_cache import ValidationCache

import api.schema
from api.app import create_app
from api.policy import load_directory
from api.settings import Settings
from bench import anchors, perf, wrk
from bench.graphql_request import FORM
from tests.helpers import DEMO_POLICIES
from tests.helpers.server import LiveServer

JSON = {"content-type": "application/json"}

# bench/post.lua's run against a plain route, then bench/get.lua's against a path answering 404, as wrk printed them.
RECORDED = """Running 2s test @ http://127.0.0.1:41237/graphql
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  370.11us   9.64ms   93.13%
    Req/Sec    15.88k     0.97k   16.60k    90.00%
  Latency Distribution
     50%    0.96ms
     75%    1.07ms
     90%    1.25ms
     99%    2.19ms
  31606 requests in 2.00s, 16.87MB read
Requests/sec:  15786.21
Transfer/sec:      8.43MB
""" + (
    'BENCH-REPORT {"requests":31606,"duration_us":2002129,"p50_us":962,"p99_us":2190,"max_us":9640,'
    '"connect":0,"read":0,"write":0,"status":0,"timeout":0}\n'
)
RECORDED_SIGN_UPS = (
    'BENCH-REPORT {"requests":1634,"duration_us":3103176,"p50_us":29583,"p99_us":63953,"max_us":111594,'
    '"connect":0,"read":0,"write":0,"status":0,"timeout":0,"succeeded":1630,"denied":0,"failed":3,"other":1}\n'
)
RECORDED_ERRORS = """  9694 requests in 1.10s, 1.60MB read
  Non-2xx or 3xx responses: 9694
Requests/sec:   8812.73
""" + (
    'BENCH-REPORT {"requests":9694,"duration_us":1099965,"p50_us":115,"p99_us":168,"max_us":2471,'
    '"connect":0,"read":2,"write":0,"status":9694,"timeout":0}\n'
)


@pytest.fixture(scope="module")
def bench_policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bench") / "policies"
    perf.bench_policies(DEMO_POLICIES, directory)
    return directory


@pytest.fixture(scope="module")
def regapi(bench_policies: Path) -> Iterator[httpx.Client]:
    """regapi as the benchmark serves it: the benchmark's policies, wrk's 127.0.0.1 a trusted proxy."""
    app = create_app(Settings(policy_dir=bench_policies, trusted_proxies=("127.0.0.1",)))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def regapi_answer(regapi: httpx.Client) -> bytes:
    response = regapi.post("/graphql", content=perf.FORM_BODY, headers=JSON)
    assert response.status_code == 200
    assert response.json()["data"]["registrationForm"]["fields"], response.text
    return response.content


def answer_of(app: Starlette, body: bytes = perf.FORM_BODY) -> httpx.Response:
    with LiveServer(app) as server:
        return httpx.post(f"{server.url}/graphql", content=body, headers=JSON)


def test_the_plain_route_answers_regapis_bytes(regapi_answer: bytes) -> None:
    response = answer_of(anchors.starlette_app(perf.FORM_BODY, json.loads(regapi_answer)))
    assert response.status_code == 200
    assert response.content == regapi_answer


def test_the_plain_route_refuses_another_request(regapi_answer: bytes) -> None:
    other = json.dumps({"query": FORM, "variables": {"tenant": "acme", "operation": "SIGN_UP"}}).encode()
    response = answer_of(anchors.starlette_app(perf.FORM_BODY, json.loads(regapi_answer)), other)
    assert response.status_code == 400


def test_the_strawberry_anchor_answers_regapis_json(regapi_answer: bytes) -> None:
    response = answer_of(anchors.strawberry_app(json.loads(regapi_answer)))
    assert response.status_code == 200
    assert response.json() == json.loads(regapi_answer)


def test_the_strawberry_anchor_hits_its_validation_cache(regapi_answer: bytes) -> None:
    # One lru_cache for every ValidationCache of the same size; its key holds the validation rules, so
    # rules built per request would make the second request miss as the first did.
    validate = ValidationCache().cached_validate_document
    with LiveServer(anchors.strawberry_app(json.loads(regapi_answer))) as server, httpx.Client() as client:
        url = f"{server.url}/graphql"
        assert client.post(url, content=perf.FORM_BODY, headers=JSON).status_code == 200
        before = validate.cache_info()  # type: ignore[attr-defined]
        assert client.post(url, content=perf.FORM_BODY, headers=JSON).status_code == 200
        after = validate.cache_info()  # type: ignore[attr-defined]
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_the_strawberry_anchor_has_regapis_limits() -> None:
    assert (anchors.MAX_TOKENS, anchors.MAX_ALIASES, anchors.MAX_DEPTH) == (
        api.schema.MAX_TOKENS,
        api.schema.MAX_ALIASES,
        api.schema.MAX_DEPTH,
    )


def test_the_strawberry_anchor_refuses_too_many_aliases(regapi_answer: bytes) -> None:
    fields = " ".join(f'a{n}: registrationForm(tenant: "shop", operation: SIGN_UP) {{ tenant }}' for n in range(16))
    body = json.dumps({"query": f"{{ {fields} }}"}).encode()
    response = answer_of(anchors.strawberry_app(json.loads(regapi_answer)), body)
    assert "aliases" in response.json()["errors"][0]["message"]


def test_the_benchmark_policies_raise_the_sign_up_limits(bench_policies: Path) -> None:
    limits = load_directory(bench_policies)["shop"].policy.limits
    for name, rate in perf.BENCH_LIMITS.items():
        assert getattr(limits, name) == rate


def test_the_sign_up_request_signs_up_new_users_past_the_demo_limits(regapi: httpx.Client) -> None:
    # The demo policy allows 20 sign-ups an hour from one address; the benchmark's, as many as it sends.
    body = perf.sign_up_body()
    for n in range(21):
        response = regapi.post(
            "/graphql",
            content=perf.with_id(body, f"bench-test-{n}"),
            headers={**JSON, "x-forwarded-for": "10.9.9.9"},
        )
        assert response.json()["data"]["signUp"]["__typename"] == "SignUpSuccess", response.text


def test_the_wrk_report_is_read_from_its_line() -> None:
    report = wrk.parse_report(RECORDED)
    assert (report.requests, report.p50_ms, report.p99_ms) == (31606, 0.962, 2.19)
    assert report.rps == pytest.approx(31606 / 2.002129)
    assert report.problems() == ""
    assert report.counts == {}


def test_the_scripts_counters_come_with_the_report() -> None:
    report = wrk.parse_report(RECORDED_SIGN_UPS)
    assert report.counts == {"succeeded": 1630, "denied": 0, "failed": 3, "other": 1}


def test_socket_errors_and_non_2xx_answers_are_told() -> None:
    assert wrk.parse_report(RECORDED_ERRORS).problems() == "read 2, status 9694"


def test_a_run_without_a_report_line_stops_the_benchmark() -> None:
    with pytest.raises(wrk.BenchError, match="no BENCH-REPORT"):
        wrk.parse_report(RECORDED.split("BENCH-REPORT", maxsplit=1)[0])


def test_the_probe_runs_through_the_middle_of_the_load() -> None:
    assert perf.probe_seconds(8) == (4, 2.0)
    assert perf.probe_seconds(2) == (1, 0.5)
    assert perf.probe_seconds(3) == (1, 1.0)


def loop_round(counts: dict[str, int], p50_us: int = 3000) -> perf.LoopRound:
    idle = wrk.parse_report(RECORDED)
    raw = dict(json.loads(RECORDED_SIGN_UPS.split(" ", 1)[1]), p50_us=p50_us, **counts)
    load = wrk.parse_report(f"BENCH-REPORT {json.dumps(raw)}")
    return perf.LoopRound(idle=idle, probe=load, load=load)


def test_the_loop_row_is_not_met_unless_every_sign_up_succeeded() -> None:
    everyone = {"succeeded": 100, "denied": 0, "failed": 0, "other": 0}
    assert perf.loop_row([loop_round(everyone)] * 3).endswith("| yes |")
    some_failed = {**everyone, "failed": 1}
    assert "not every sign-up succeeded" in perf.loop_row([loop_round(everyone), loop_round(some_failed)])
    assert "**no**" in perf.loop_row([loop_round(everyone, p50_us=5100)])
