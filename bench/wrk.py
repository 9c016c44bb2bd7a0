"""wrk for bench/perf.py: installed where missing, run with one thread, its report (bench/report.lua) read."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPORT = re.compile(r"^BENCH-REPORT (\{.*\})$", re.MULTILINE)


class BenchError(Exception):
    """Something that makes the figures meaningless: said in one message, and the run stops."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class WrkReport:
    """What bench/report.lua prints at the end of a wrk run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]  # connect, read, write, timeout (socket errors) and status (answers >= 400)
    counts: dict[str, int] = field(default_factory=dict)  # a script's own counters (signup.lua's typenames)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def problems(self) -> str:
        """The socket errors and non-2xx answers, or an empty string."""
        return ", ".join(f"{name} {count}" for name, count in self.errors.items() if count)


ERROR_FIELDS = ("connect", "read", "write", "timeout", "status")


def parse_report(output: str) -> WrkReport:
    match = REPORT.search(output)
    if match is None:
        raise BenchError(f"wrk printed no BENCH-REPORT line:\n{output}")
    raw: dict[str, int] = json.loads(match.group(1))
    known = {"requests", "duration_us", "p50_us", "p99_us", "max_us", *ERROR_FIELDS}
    return WrkReport(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1e3,
        p99_ms=raw["p99_us"] / 1e3,
        errors={name: raw[name] for name in ERROR_FIELDS},
        counts={name: value for name, value in raw.items() if name not in known},
    )


def wrk_command(url: str, script: str, seconds: int, connections: int) -> list[str]:
    """One wrk thread (a second one would take the servers' cores); whole seconds, as wrk wants them."""
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(BENCH / script), url]


def ensure_wrk() -> str:
    """wrk's version line, installing Debian's package where it is missing (as the Makefile installs Redis)."""
    if shutil.which("wrk") is None:
        say("wrk is missing: apt-get install -y wrk")
        for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            if subprocess.run(step, stdout=subprocess.DEVNULL, check=False).returncode != 0:
                break
        if shutil.which("wrk") is None:
            raise BenchError("wrk is missing and could not be installed: apt-get install wrk (Debian's package)")
    found = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (found.stdout or found.stderr).splitlines()
    return first[0].split(" [")[0] if first else "wrk"
