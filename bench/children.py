"""The processes bench/perf.py starts: each stopped whatever ends the run; servers on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.wrk import BenchError, WrkReport, parse_report

HOST = "127.0.0.1"  # the only address this benchmark ever talks to


class Children:
    """Every process this run starts; `stop_all` ends them (terminate, then kill), whatever ended the run."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[Any]] = []

    def start(self, args: Sequence[str], **options: Any) -> subprocess.Popen[Any]:
        process: subprocess.Popen[Any] = subprocess.Popen(args, **options)
        self._processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[Any]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self._processes:
            self._processes.remove(process)

    def stop_all(self) -> None:
        for process in list(reversed(self._processes)):
            self.stop(process)

    def wrk(self, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        # Its own environment plus the script's variables; bench/*.lua reads them with os.getenv.
        return self.start(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

    def finish(self, process: subprocess.Popen[str], seconds: float) -> WrkReport:
        try:
            output, _ = process.communicate(timeout=seconds + 30)
        finally:
            self.stop(process)
        if process.returncode != 0:
            raise BenchError(f"wrk exited with {process.returncode}:\n{output}")
        return parse_report(output)

    def run_wrk(self, command: list[str], seconds: float, env: dict[str, str] | None = None) -> WrkReport:
        return self.finish(self.wrk(command, env), seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[Any]
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def wait_ready(server: Server, ready: Callable[[httpx.Client], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchError(f"{server.name} exited with {server.process.returncode}; its log:\n{server.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if ready(client):
                    return
            time.sleep(0.2)
    raise BenchError(f"{server.name} did not start within {timeout:g} s; its log:\n{server.tail()}")


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any REGAPI_* setting (the run measures regapi's defaults, as
    `make run` starts it, and listens on 127.0.0.1 whatever REGAPI_HOST says), plus `extra`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("REGAPI_")}
    return {**env, **extra}
