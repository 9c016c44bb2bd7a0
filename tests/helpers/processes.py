"""Other processes the tests start: `regapi serve` processes and a Redis, on loopback ports."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

import httpx
import redis

from tests.helpers import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError, redis.RedisError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


@contextlib.contextmanager
def api_processes(environments: Sequence[Mapping[str, str]]) -> Iterator[list[str]]:
    """One `regapi serve` process per environment (added to this one's), each on its own port; their URLs."""
    urls, processes = [], []
    for extra in environments:
        port = free_port()
        env = {**os.environ, "REGAPI_PORT": str(port), "REGAPI_RELOAD": "0", **extra}
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "api", "serve"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until(lambda url=url: httpx.get(f"{url}/healthz").status_code == 200, url)  # type: ignore[misc]
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
