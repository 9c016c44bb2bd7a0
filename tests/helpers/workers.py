"""`regapi serve` processes the tests start and stop themselves (several workers among them), and which
worker process answered a response (the Redis they share is the `redis_url` fixture).

A response does not say which process wrote it, and a header saying so would be a debug leak in
production; the operating system does. The server side of a kept-alive connection is one socket, held
open by exactly one worker: /proc/net/tcp names its inode by the connection's two ports, and
/proc/<pid>/fd shows which process holds it (Linux; the suite's platform). `pinned` opens connections
until it holds one to each worker, and notes the worker of every answer on each, so a test proves which
worker answered what.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT
from tests.helpers.client import Api, StandaloneCognito
from tests.helpers.processes import free_port, wait_until


@dataclass
class Served:
    """One `regapi serve` process, its stderr in a file; with REGAPI_WORKERS > 1 it is the supervisor."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    metrics_url: str | None = None
    _stopped: int | None = field(default=None, init=False)

    @classmethod
    def start(cls, env: Mapping[str, str], log: Path, *, metrics: bool = False) -> Served:
        """Started, not yet ready (`wait_ready`): several start at once, on the suite's two cores."""
        port = free_port()
        metrics_port = free_port() if metrics else None
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("REGAPI_", "PROMETHEUS_"))}
        full = {**clean, "REGAPI_PORT": str(port), "REGAPI_RELOAD": "0", **env}
        if metrics_port is not None:
            full["REGAPI_METRICS_PORT"] = str(metrics_port)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "api", "serve"], env=full, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        metrics_url = f"http://127.0.0.1:{metrics_port}" if metrics_port is not None else None
        return cls(process, f"http://127.0.0.1:{port}", log, metrics_url)

    def wait_ready(self, workers: int = 1) -> None:
        """Until it answers, and until `workers` worker processes (when more than one) hold the socket."""

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"regapi serve exited with {self.process.returncode}:\n{self.text()}")
            if workers > 1 and len(self.listening_workers()) < workers:
                return False
            return httpx.get(f"{self.url}/healthz").status_code == 200

        wait_until(ready, f"regapi serve at {self.url}", timeout=60)

    def wait_for(self, fragment: str) -> None:
        """Until its output holds `fragment` (a failure at once if it ends before)."""

        def logged() -> bool:
            if fragment in self.text():
                return True
            if self.process.poll() is not None:
                raise RuntimeError(f"regapi serve exited with {self.process.returncode}:\n{self.text()}")
            return False

        wait_until(logged, repr(fragment), timeout=60)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def children(self) -> list[int]:
        """The process ids whose parent is this one (its workers, and any helper process they start)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    # The command name, in parentheses, may hold spaces: the parent id follows its end.
                    fields = (entry / "stat").read_text().rpartition(")")[2].split()
                    if int(fields[1]) == self.process.pid:
                        found.append(int(entry.name))
        return found

    def listening_workers(self) -> list[int]:
        """The children holding the listening socket open: the workers serving it."""
        inodes = _inodes(local_port=int(self.url.rpartition(":")[2]), remote_port=0)
        return [pid for pid in self.children() if inodes & _socket_inodes(pid)]

    def answered_by(self, response: httpx.Response) -> int:
        """The worker holding the server side of `response`'s connection (kept alive after it)."""
        stream = response.extensions["network_stream"]
        client_port = stream.get_extra_info("socket").getsockname()[1]
        inodes = _inodes(local_port=int(self.url.rpartition(":")[2]), remote_port=client_port)
        owners = [pid for pid in self.children() if inodes & _socket_inodes(pid)]
        assert len(owners) == 1, f"the connection from port {client_port} is held by {owners}"
        return owners[0]

    def environment(self, pid: int) -> dict[str, str]:
        """The environment a process of this test run started with (the test's own user may read it)."""
        raw = Path(f"/proc/{pid}/environ").read_bytes()
        pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
        return {name.decode(): value.decode(errors="replace") for name, _, value in pairs}

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal it and wait for it to end; its exit status."""
        if self._stopped is None:
            if self.process.poll() is None:
                self.process.send_signal(sig)
            try:
                self._stopped = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self._stopped = self.process.wait(timeout=10)
        return self._stopped


def _inodes(*, local_port: int, remote_port: int) -> set[str]:
    """The inodes of the IPv4 sockets with these ports (remote 0: a listening socket)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        columns = line.split()
        local, remote, inode = columns[1], columns[2], columns[9]
        if int(local.rpartition(":")[2], 16) == local_port and int(remote.rpartition(":")[2], 16) == remote_port:
            found.add(inode)
    return found


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    with contextlib.suppress(OSError):  # a process that ended meanwhile holds nothing
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    found.add(target[len("socket:[") : -1])
    return found


@dataclass
class Pinned:
    """An API client on one kept-alive connection, answered by one worker; every answer's worker is noted."""

    api: Api
    pid: int
    answered: list[int]


def pinned(served: Served, cognito: StandaloneCognito, workers: int = 2, **headers: str) -> list[Pinned]:
    """One client for each of `workers` different workers of `served`: connections are opened until the
    kernel has handed them to that many (a worker still starting accepts none)."""
    found: dict[int, Pinned] = {}
    deadline = time.monotonic() + 60
    while len(found) < workers:
        if time.monotonic() > deadline:
            pytest.fail(f"in a minute, connections reached only the workers {sorted(found)}")
        answered: list[int] = []

        def note(response: httpx.Response, answered: list[int] = answered) -> None:
            answered.append(served.answered_by(response))

        http = httpx.Client(
            base_url=served.url,
            timeout=30,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            headers={"X-Forwarded-For": an_address(), **headers},
            event_hooks={"response": [note]},
        )
        assert http.get("/healthz").status_code == 200
        if answered[0] in found:
            http.close()
            time.sleep(0.02)
        else:
            found[answered[0]] = Pinned(Api(http=http, cognito=cognito), answered[0], answered)
    return list(found.values())


def an_address() -> str:
    """A client address of its own (through the trusted proxy): the per-address limits stay out of the way."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
