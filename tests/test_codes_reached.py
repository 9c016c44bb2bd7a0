"""Every ErrorCode and ViolationCode is reached by a test that goes through the GraphQL API.

A guard against a new code that only a unit test, or no test, ever produces.
"""

from __future__ import annotations

from pathlib import Path

from api.policy import ViolationCode
from api.registration import ErrorCode

TESTS = Path(__file__).resolve().parent


def http_test_sources() -> str:
    """The text of the test modules that talk to the API over HTTP (they use the `api` fixture)."""
    texts = []
    for path in TESTS.rglob("test_*.py"):
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        if "api: Api" in text or "aws_api" in text:
            texts.append(text)
    return "\n".join(texts)


def test_every_code_is_reached_through_the_api() -> None:
    sources = http_test_sources()
    missing = [code.value for code in [*ErrorCode, *ViolationCode] if f'"{code.value}"' not in sources]
    assert not missing, f"codes no HTTP test asserts: {missing}"


def test_the_guard_reads_the_http_tests_only() -> None:
    sources = http_test_sources()
    assert '"CODE_MISMATCH"' in sources
    assert "def test_every_code_is_reached_through_the_api" not in sources
