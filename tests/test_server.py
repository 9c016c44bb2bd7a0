"""The HTTP protocol regapi is served with (api.server): limits on request headers, an answer for bytes
that are not HTTP and for a client that half-closes, all without a line above INFO in the log."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.helpers import DEMO_POLICIES, ROOT
from tests.helpers.client import Api
from tests.helpers.logs import lines_above_info
from tests.helpers.processes import wait_until
from tests.helpers.raw_http import Answer, closed_without_answer, connect, read_answer, request_head, trickle
from tests.helpers.server import LiveServer

HOST = {"Host": "127.0.0.1"}


def refusal(answer: Answer, status: int, code: str) -> str:
    assert answer.status == status, answer
    assert answer.headers["connection"] == "close"
    body = answer.json()
    assert body["errors"][0]["extensions"] == {"code": code}
    message: str = body["errors"][0]["message"]
    return message


@pytest.fixture(scope="module")
def hurried() -> Iterator[str]:
    """An API that gives clients half a second for their request headers."""
    app = create_app(Settings(policy_dir=DEMO_POLICIES, reload=False))
    with LiveServer(app, header_timeout=0.5) as server:
        yield server.url


def test_headers_sent_a_byte_at_a_time_get_408(hurried: str) -> None:
    slow = request_head("GET", "/healthz", {**HOST, "X-Padding": "x" * 400})
    with lines_above_info() as logged, connect(hurried) as sock:
        sock.sendall(request_head("GET", "/healthz", HOST))
        first = read_answer(sock)  # the limit starts again for the next request on a kept-alive connection
        answer = trickle(sock, slow, every=0.05)
    assert first.status == 200
    assert "within 0.5 s" in refusal(answer, 408, "REQUEST_TIMEOUT")
    assert logged == []


def test_a_connection_that_sends_nothing_is_closed(hurried: str) -> None:
    with lines_above_info() as logged, connect(hurried) as sock:
        assert closed_without_answer(sock)
    assert logged == []


def test_oversized_headers_get_431(embedded_api: Api) -> None:
    url = str(embedded_api.http.base_url).rstrip("/")
    padding = {f"X-Padding-{n}": "x" * 8000 for n in range(9)}  # 72 KB
    with lines_above_info() as logged, connect(url) as sock:
        sock.sendall(request_head("GET", "/healthz", {**HOST, **padding}))
        answer = read_answer(sock)
    assert "65536 bytes" in refusal(answer, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE")
    assert logged == []
    below = {f"X-Padding-{n}": "x" * 8000 for n in range(4)}
    with connect(url) as sock:
        sock.sendall(request_head("GET", "/healthz", {**HOST, **below}))
        assert read_answer(sock).status == 200


def test_bytes_that_are_not_http_get_a_graphql_shaped_400(embedded_api: Api) -> None:
    url = str(embedded_api.http.base_url).rstrip("/")
    with lines_above_info() as logged, connect(url) as sock:
        sock.sendall(b"GET /graph\xffql HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = read_answer(sock)
    assert "not valid HTTP" in refusal(answer, 400, "BAD_REQUEST")
    assert logged == []


def test_a_client_that_half_closes_after_its_request_gets_the_answer(embedded_api: Api) -> None:
    url = str(embedded_api.http.base_url).rstrip("/")
    body = b'{"query": "{ __typename }"}'
    head = {**HOST, "Content-Type": "application/json", "Content-Length": str(len(body))}
    with connect(url) as sock:
        sock.sendall(request_head("POST", "/graphql", head) + body)
        sock.shutdown(socket.SHUT_WR)
        answer = read_answer(sock)
    assert answer.status == 200
    assert answer.json() == {"data": {"__typename": "Query"}}


def test_serve_on_any_free_port_names_that_port_in_the_embedded_issuer() -> None:
    env = {**os.environ, "REGAPI_PORT": "0", "REGAPI_RELOAD": "0"}
    command = [sys.executable, "-m", "api", "serve"]
    with subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True) as process:
        watchdog = threading.Timer(30, process.kill)  # a server that never says where it listens ends the loop
        watchdog.start()
        try:
            assert process.stderr is not None
            for line in process.stderr:  # the line regapi writes once it listens
                if match := re.search(r"regapi listening on http://127\.0\.0\.1:(\d+)", line):
                    break
            else:
                pytest.fail("regapi serve did not say where it listens")
            url = f"http://127.0.0.1:{match[1]}"
            wait_until(lambda: httpx.get(f"{url}/healthz").status_code == 200, url)
            pools = httpx.get(f"{url}/dev/cognito").json()
            assert pools
            assert all(pool["issuer"].startswith(f"{url}/dev/cognito/") for pool in pools)
            jwks = httpx.get(f"{pools[0]['issuer']}/.well-known/jwks.json").json()
            assert jwks["keys"]
        finally:
            watchdog.cancel()
            process.terminate()
