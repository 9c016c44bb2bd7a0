"""Several worker processes on one port (REGAPI_WORKERS): what they need, checked before any is started,
and the environment the supervisor hands them.

Each worker builds its own app and serves the socket the supervisor bound, so what one process kept to
itself must be shared:

- users: the embedded Cognito keeps them in one process's memory, so several workers need the aws backend;
- attempt counters and quota buckets: in Redis (REGAPI_REDIS_URL), or else each worker counts its own and a
  client gets the limit once per worker (refused in production, a warning in development);
- challenge sessions: sealed with one REGAPI_SESSION_SECRET, or one worker cannot open what another
  sealed (production requires the variable; in development the supervisor makes one up for the run);
- metrics: prometheus_client's multiprocess mode, each worker writing its values to files in a directory
  of its own run (PROMETHEUS_MULTIPROC_DIR), which the supervisor's /metrics adds up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from api.settings import Settings

log = logging.getLogger("regapi")

# prometheus_client reads it when first imported: the workers, spawned afresh, import it after it is set.
METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def refusal(settings: Settings) -> str | None:
    """Why `settings.workers` processes cannot serve these settings, in one line; None when they can."""
    workers = settings.workers
    if workers == 1:
        return None
    if settings.backend == "embedded":
        return (
            f"REGAPI_WORKERS={workers} with the embedded Cognito: it keeps its users in one process's memory, so "
            "each worker would have users of its own. For several processes run `regapi cognito serve` and set "
            "REGAPI_BACKEND=aws and REGAPI_COGNITO_ENDPOINT to its address"
        )
    if settings.production and settings.redis_url is None:
        return (
            f"REGAPI_WORKERS={workers} in production needs REGAPI_REDIS_URL: without it each worker counts its "
            "own attempt limits and quotas, and a client gets every limit once per worker"
        )
    return None


def warning(settings: Settings) -> str | None:
    """What several workers give up in development without Redis; None when nothing."""
    if settings.workers > 1 and settings.redis_url is None:
        return (
            f"REGAPI_WORKERS={settings.workers} without REGAPI_REDIS_URL: each worker counts its own attempt "
            "limits and quotas, so a client gets every limit once per worker (refused in production)"
        )
    return None


def metrics_directory() -> Path:
    """A fresh, empty directory for the workers' metrics files (under TMPDIR); OSError when none can be made."""
    return Path(tempfile.mkdtemp(prefix="regapi-metrics-"))


@contextlib.contextmanager
def environment(settings: Settings, directory: Path) -> Iterator[None]:
    """The environment the workers start in, while the block runs: the settings the supervisor decided on
    (the port it bound, the policy directory `--policies` named), a session secret made up for this run
    when none is set, and `directory` for the metrics, removed afterwards.

    The variables are set in this process because spawned workers inherit its environment; the secret is
    never written anywhere else (no argument, no file, no log line)."""
    values = {
        "REGAPI_PORT": str(settings.port),
        "REGAPI_POLICY_DIR": str(settings.policy_dir),
        METRICS_DIRECTORY: str(directory),
    }
    if settings.session_secret is None:  # development only: production refuses to start without one
        log.info("REGAPI_SESSION_SECRET is unset: the workers share one made up for this run (sessions end with it)")
        values["REGAPI_SESSION_SECRET"] = secrets.token_urlsafe(32)
    previous = _set(values)
    try:
        yield
    finally:
        _set(previous)
        shutil.rmtree(directory, ignore_errors=True)


def _set(values: Mapping[str, str | None]) -> dict[str, str | None]:
    """Set (or, for None, remove) the variables; what they were before."""
    previous = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return previous
