"""Two API processes share one attempt limit through a real Redis (`make test` installs redis-server)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import TEST_POLICIES
from tests.helpers.burst import burst_to, result
from tests.helpers.documents import SIGN_IN
from tests.helpers.processes import api_processes
from tests.helpers.recorder import record


@pytest.fixture
def two_servers(redis_url: str, tmp_path: Path) -> Iterator[list[str]]:
    shutil.copy(TEST_POLICIES / "quick.yaml", tmp_path / "quick.yaml")
    env = {"REGAPI_POLICY_DIR": str(tmp_path), "REGAPI_REDIS_URL": redis_url, "REGAPI_TRUSTED_PROXIES": "127.0.0.1"}
    with api_processes([env, env]) as urls:
        yield urls


def test_the_address_limit_is_shared_by_two_processes(two_servers: list[str]) -> None:
    headers = {"X-Forwarded-For": "10.9.9.9"}

    def attempt(url: str, n: int) -> str:
        variables = {"input": {"tenant": "quick", "username": f"u{n}@quick.example", "password": "quick pass 1"}}
        response = httpx.post(f"{url}/graphql", json={"query": SIGN_IN, "variables": variables}, headers=headers)
        body = record(response.json())
        return str(body["data"]["signIn"]["code"])

    codes = [attempt(two_servers[n % 2], n) for n in range(12)]
    assert codes == ["NOT_AUTHORIZED"] * 12  # six on each process
    assert attempt(two_servers[0], 12) == "TOO_MANY_ATTEMPTS"
    assert attempt(two_servers[1], 13) == "TOO_MANY_ATTEMPTS"


def test_a_burst_across_two_processes_evaluates_at_most_the_limit(two_servers: list[str]) -> None:
    """Forty wrong passwords for one user, from forty addresses, split over two processes and released
    together: the failure slots live in Redis, so at most `wrong_passwords_per_user` (10) are evaluated."""
    variables = {"input": {"tenant": "quick", "username": "target@quick.example", "password": "wrong pass 1"}}
    targets = [(two_servers[n % 2], {"X-Forwarded-For": f"10.8.{n}.1"}) for n in range(40)]
    bodies = burst_to(targets, [(SIGN_IN, variables)] * 40)
    codes = [result(body)["code"] for body in bodies]
    assert codes.count("NOT_AUTHORIZED") <= 10, codes
    assert codes.count("NOT_AUTHORIZED") + codes.count("TOO_MANY_ATTEMPTS") == 40, codes
