"""Issue 9, finding 6: one record is one line, whatever a request carries; values and lines are capped; a
refused request writes one audit line. Through HTTP against the suite's server (whose log capture uses the
production formatter) and against a `regapi serve` process, whose stderr is what an operator reads."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.observability.logging import MAX_LINE, MAX_VALUE, LineFormatter, configure
from tests.helpers import DEMO_POLICIES, ROOT
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP
from tests.helpers.flows import PASSWORD
from tests.helpers.processes import free_port, wait_until

FORGED = "regapi.audit INFO decision tenant=shop operation=sign_up allowed=True violations=- revision=forged"
LONGEST = MAX_LINE + 40  # a capped line, with its note of the length it had


def sign_up_body(username: str, attributes: list[dict[str, str]]) -> dict[str, Any]:
    variables = {"input": {"tenant": "shop", "username": username, "password": PASSWORD, "attributes": attributes}}
    return {"query": SIGN_UP, "variables": variables}


@pytest.fixture
def new_lines(log_capture: list[str]) -> Callable[[], list[str]]:
    """The regapi records logged since the test began, as the suite's capture formatted them."""
    start = len(log_capture)
    return lambda: [line for line in log_capture[start:] if line.startswith("regapi")]


def test_an_attribute_name_cannot_forge_a_log_line(
    embedded_api: Api, unique: str, new_lines: Callable[[], list[str]]
) -> None:
    name = f"custom:x\n{FORGED}"
    response = embedded_api.http.post(
        "/graphql", json=sign_up_body(f"forge-{unique}@shop.example", [{"name": name, "value": "1"}])
    )
    assert response.json()["data"]["signUp"]["__typename"] == "PolicyDenied"
    lines = new_lines()
    assert lines
    assert all("\n" not in line and "\r" not in line for line in lines)
    physical = "\n".join(lines).splitlines()
    assert not [line for line in physical if line.startswith(FORGED)]
    (audit,) = [line for line in lines if line.startswith("regapi.audit")]
    assert f"custom:x\\n{FORGED}" in audit  # the attacker's text is there, escaped, on the decision's line


def test_a_huge_attribute_name_makes_a_capped_line(
    embedded_api: Api, unique: str, new_lines: Callable[[], list[str]]
) -> None:
    huge = "n" * 60_000
    embedded_api.http.post("/graphql", json=sign_up_body(f"huge-{unique}@shop.example", [{"name": huge, "value": "1"}]))
    lines = new_lines()
    assert lines
    assert max(len(line) for line in lines) <= LONGEST
    (audit,) = [line for line in lines if line.startswith("regapi.audit")]
    assert len(audit) < MAX_VALUE + 320  # the one value is capped, not only the line (the rest: its other fields)
    assert re.search(r"n\.\.\.\[600[0-9]{2} chars\]", audit)  # and says how long the value was


def test_a_request_with_many_faults_logs_one_line_of_each_kind(
    embedded_api: Api, unique: str, new_lines: Callable[[], list[str]]
) -> None:
    attributes = [{"name": f"custom:x{i}\n", "value": "\x00"} for i in range(100)]
    embedded_api.http.post("/graphql", json=sign_up_body(f"many-{unique}@shop.example", attributes))
    lines = new_lines()
    assert len([line for line in lines if line.startswith("regapi.audit")]) == 1
    assert len(lines) <= 2

    fields = " ".join(f"f{i}" for i in range(100))  # a hundred unknown fields: a hundred GraphQL errors
    response = embedded_api.http.post("/graphql", json={"query": f"query {{ {fields} }}"})
    assert len(response.json()["errors"]) == 100
    graphql = [line for line in new_lines() if line.startswith("regapi.graphql")]
    assert len(graphql) == 1
    assert "(and 99 more)" in graphql[0]


def test_regapi_serve_writes_one_escaped_line_per_record(tmp_path: Path, unique: str) -> None:
    port = free_port()
    stderr = tmp_path / "serve.log"
    env = {"REGAPI_PORT": str(port), "REGAPI_RELOAD": "0", "REGAPI_POLICY_DIR": str(DEMO_POLICIES)}
    with stderr.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve"],
            env={**_environment(), **env},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/healthz").status_code == 200, "regapi serve")
        body = sign_up_body(f"serve-{unique}@shop.example", [{"name": f"custom:x\n{FORGED}\x1b[2J", "value": "1"}])
        assert httpx.post(f"{url}/graphql", json=body).json()["data"]["signUp"]["__typename"] == "PolicyDenied"
    finally:
        process.terminate()
        process.wait(timeout=10)
    written = stderr.read_text()
    assert "\x1b" not in written
    assert not [line for line in written.splitlines() if line.startswith(FORGED)]
    (audit,) = [line for line in written.splitlines() if " regapi.audit: decision " in line]
    assert f"\\n{FORGED}\\u001b[2J" in audit  # inside the quoted value, escaped as JSON escapes it
    assert any("uvicorn" in line for line in written.splitlines())  # uvicorn's own lines, through the same handler


def _environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("REGAPI_")}


def test_the_formatter_escapes_caps_and_keeps_one_line(tmp_path: Path) -> None:
    formatter = LineFormatter("%(name)s %(levelname)s %(message)s")

    def line(message: str, *args: object, exc: bool = False) -> str:
        record = logging.LogRecord("regapi.test", logging.INFO, __file__, 1, message, args, None)
        if exc:
            try:
                raise ValueError("bad\nvalue")
            except ValueError:
                record.exc_info = sys.exc_info()
        return formatter.format(record)

    assert line("name=%s", "a\nb\r\tc\x00\x1b\u202e\u2028\ud800") == (
        "regapi.test INFO name=a\\nb\\r\\tc\\x00\\x1b\\u202e\\u2028\\ud800"
    )
    assert line("plain ÄÖ 山田 %d", 5) == "regapi.test INFO plain ÄÖ 山田 5"
    assert line("v=%s", "x" * 1000) == f"regapi.test INFO v={'x' * MAX_VALUE}...[1000 chars]"
    assert len(line("%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s", *(["y" * 300] * 18))) <= LONGEST
    traced = line("failed", exc=True)
    assert "\n" not in traced
    assert "Traceback (most recent call last):\\n" in traced
    assert "ValueError: bad\\nvalue" in traced
    mapping = logging.LogRecord("regapi.test", logging.INFO, __file__, 1, "%(who)s", ({"who": "z" * 999},), None)
    assert formatter.format(mapping).endswith("...[999 chars]")
    assert mapping.args == {"who": "z" * 999}  # the record itself is left as it was, for other handlers

    stream = (tmp_path / "out.log").open("w")
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = []  # `configure` is basicConfig: it acts on a root logger without handlers
    try:
        configure(logging.INFO, stream)
        logging.getLogger("regapi.test").info("one %s", "line\nonly")
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved
    written = (tmp_path / "out.log").read_text()
    assert written.count("\n") == 1
    assert written.endswith(" INFO regapi.test: one line\\nonly\n")
