"""What `regapi serve` does with its settings: refuse what cannot be served, bind the port, build the app,
serve /metrics on its own port, and run one process or a supervisor of several (api.workers).

Every refusal is one line on stderr: exit status 2 for settings that cannot go together, 1 for a port
that cannot be bound or an app that cannot be built. With several workers the supervisor builds the app
once itself, before spawning any, so a policy or configuration problem is told once, not once per worker;
it then drops that app, and each worker builds its own from the same environment.

`create_app` comes from the caller (api.cli, the one module besides api.app that knows it), so this
module wires nothing itself.
"""

from __future__ import annotations

import gc
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from api import server, workers
from api.observability.logging import configure as configure_logging
from api.observability.logging import console_line
from api.policy import PolicyLoadError
from api.pools import ConfigurationError
from api.settings import Settings

AppFactory = Callable[[Settings], Any]

log = logging.getLogger("regapi")


class _RefusedError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def serve(settings: Settings, create_app: AppFactory, worker_app: Callable[[], Any]) -> int:
    """Serve until SIGTERM or SIGINT; the exit status. `worker_app` builds a worker's app in its process
    (a module-level function: the supervisor names it to the processes it spawns)."""
    configure_logging(logging.INFO, log_format=settings.log_format)
    try:
        return _serve(settings, create_app, worker_app)
    except _RefusedError as refusal:
        _say(settings, refusal)
        return refusal.status


def _say(settings: Settings, refusal: _RefusedError) -> None:
    """A refusal on stderr: as the logs are, one JSON object (REGAPI_LOG_FORMAT=json), or text for a person."""
    text = f"regapi: {refusal}"
    if settings.log_format == "json":
        text = console_line(text, {"level": "ERROR", "logger": "regapi", "exit_status": refusal.status})
    print(text, file=sys.stderr)


def worker_app(create_app: AppFactory) -> Any:
    """A worker process's app, from the environment its supervisor prepared (api.workers.environment)."""
    # Strictness was the supervisor's, at start: a worker started later (one that died and is replaced)
    # refuses a file broken since then for its own tenant only, as hot reload does, rather than stop them all.
    settings = replace(Settings.from_env(), strict_policies=False)
    configure_logging(logging.INFO, log_format=settings.log_format)
    try:
        app = _build(settings, create_app)
    except _RefusedError as refusal:  # the supervisor built the same app: something changed since
        _say(settings, refusal)
        raise server.failed_start() from None
    _settle()
    return app


# How long a thread running Python may keep the GIL while another waits for it (CPython's default: 5 ms).
# The event loop gives the GIL up at every socket write; a thread doing CPU work (botocore building a
# request, the embedded Cognito's moto code) then keeps it for a whole interval before the loop gets it
# back, so an unrelated request waited ~3-7 ms under sign-up load; at 0.5 ms it waits ~1 ms
# (bench/perf.py, the /healthz row).
SWITCH_INTERVAL = 0.0005
# Objects allocated before the cyclic collector's youngest generation is scanned (CPython's default: 700).
# A request leaves a few dozen objects in reference cycles (graphql-core's executor, botocore's parsers);
# scanned every 700 allocations, those of the requests still in flight are promoted to the oldest
# generation, whose full collections then walk everything long-lived: the embedded Cognito's users and
# outbox, 13 ms at first, 200 ms after 40,000 sign-ups. At 10,000 the /healthz p99 under sign-up load
# stayed at 5 to 6 ms instead of climbing to 134 ms (bench/perf.py).
YOUNG_GENERATION = 10_000


def _settle() -> None:
    """The serving process, its app built: ready to answer."""
    # Everything built so far (policies, schema, clients) lives as long as the process: keep it out of
    # the cyclic collector's scans, which would otherwise walk thousands of tenants' objects each pass.
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])
    sys.setswitchinterval(SWITCH_INTERVAL)


def _serve(settings: Settings, create_app: AppFactory, worker_app: Callable[[], Any]) -> int:
    problem = workers.refusal(settings) or _metrics_port_refusal(settings)
    if problem is not None:
        raise _RefusedError(problem, 2)
    if (warning := workers.warning(settings)) is not None:
        log.warning(warning)
    if settings.production and settings.metrics_port is None:
        log.warning("no REGAPI_METRICS_PORT: production serves /metrics only there, so it is served nowhere")
    try:
        sock = server.listen(settings.host, settings.port)
    except OSError as exc:
        raise _RefusedError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", 1) from None
    settings = replace(settings, port=sock.getsockname()[1])  # the port chosen, when REGAPI_PORT=0
    app = _build(settings, create_app)
    if settings.workers == 1:
        _settle()
        with _metrics_endpoint(settings):
            server.run(app, sock, header_timeout=settings.header_timeout)
        return 0
    del app  # built to check the configuration once; each worker builds its own
    # Imported before the workers' environment names the metrics directory: this process's own values stay
    # in its memory, out of the files that /metrics adds up.
    from api.observability.metrics import worker_exited  # noqa: PLC0415

    try:
        directory = workers.metrics_directory()
    except OSError as exc:
        where = tempfile.gettempdir()
        message = f"cannot make the workers' metrics directory in {where}: {exc.strerror or exc} (set TMPDIR)"
        raise _RefusedError(message, 1) from None
    with workers.environment(settings, directory), _metrics_endpoint(settings):
        return server.run_workers(
            worker_app, sock, header_timeout=settings.header_timeout, workers=settings.workers, on_exit=worker_exited
        )


def _build(settings: Settings, create_app: AppFactory) -> Any:
    try:
        return create_app(settings)
    except PolicyLoadError as exc:
        raise _RefusedError(f"refusing to start, the policies have problems:\n{exc}", 1) from None
    except ConfigurationError as exc:
        raise _RefusedError(f"refusing to start: {exc}", 1) from None


def _metrics_port_refusal(settings: Settings) -> str | None:
    if settings.metrics_port is not None and settings.metrics_port == settings.port != 0:
        return (
            f"REGAPI_METRICS_PORT must differ from REGAPI_PORT ({settings.port}): /metrics has a port of its own, "
            "which only the monitoring reaches, never the public one"
        )
    return None


@contextmanager
def _metrics_endpoint(settings: Settings) -> Iterator[None]:
    """GET /metrics on REGAPI_METRICS_PORT while the block runs, on REGAPI_METRICS_HOST, by default the host
    the API listens on (the monitoring reaches the process where its clients do; a firewall or the
    orchestrator keeps the port private, or REGAPI_METRICS_HOST=127.0.0.1 for a scraper on the host).
    With several workers the supervisor serves it, adding up every worker's values."""
    if settings.metrics_port is None:
        yield
        return
    from api.observability.metrics import serve_metrics  # noqa: PLC0415

    address = settings.metrics_host or settings.host
    try:
        endpoint = serve_metrics(address, settings.metrics_port)
    except OSError as exc:
        where = f"{address}:{settings.metrics_port}"
        raise _RefusedError(f"cannot listen on {where} for /metrics: {exc.strerror or exc}", 1) from None
    host = f"[{address.strip('[]')}]" if ":" in address else address
    log.info("regapi metrics on http://%s:%d/metrics", host, endpoint.port)
    try:
        yield
    finally:
        endpoint.shutdown()
