"""Every Prometheus metric of the process, and the ways to read them (`GET /metrics`, the metrics port).

Names start with `regapi_`. Labels stay bounded: a tenant id only for a tenant a policy store has served
in this process (anything else is counted under `-`), and otherwise operations, outcomes and codes that
come from regapi's own enums; never a username, an address, an origin or any other value a caller picks.

With several worker processes (`PROMETHEUS_MULTIPROC_DIR` set in the environment before the workers
import prometheus_client; the supervisor empties the directory) each process writes its values to files
there, and `registry()` aggregates them all, whichever process is asked. Gauges then keep the largest value
among live processes (`livemax`); `worker_exited` drops the files of a worker that is gone.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The tenant label of a tenant no store serves (a request naming an unknown one, or none): the label's
# values stay the tenants the operator wrote policies for, whatever callers send.
NO_TENANT = "-"

# The `_created` series would double every series for a start time nobody alerts on.
disable_created_metrics()  # type: ignore[no-untyped-call]
_LOCAL = CollectorRegistry(auto_describe=True)

_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_COGNITO_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "regapi_requests",
    "GraphQL requests by root field (other: none of the schema's) and outcome (success, an error code, "
    "error: masked or top-level, invalid: the document did not validate)",
    ["operation", "outcome"],
    registry=_LOCAL,
)
REQUEST_SECONDS = Histogram(
    "regapi_request_seconds",
    "Time to execute a GraphQL request (parse, validate, resolve), by root field",
    ["operation"],
    buckets=_REQUEST_BUCKETS,
    registry=_LOCAL,
)
DECISIONS = Counter(
    "regapi_decisions",
    "Policy decisions by tenant, operation and whether allowed",
    ["tenant", "operation", "allowed"],
    registry=_LOCAL,
)
VIOLATIONS = Counter(
    "regapi_decision_violations",
    "Denied decisions by violation code (a decision counts once for each code it has)",
    ["tenant", "operation", "code"],
    registry=_LOCAL,
)
COGNITO_CALLS = Counter(
    "regapi_cognito_calls",
    "Cognito requests by API (the boto3 operation) and outcome (ok, a refusal's code, throttled, timeout, "
    "unreachable, error)",
    ["api", "outcome"],
    registry=_LOCAL,
)
COGNITO_SECONDS = Histogram(
    "regapi_cognito_call_seconds",
    "Time of a Cognito request, retries included, by API",
    ["api"],
    buckets=_COGNITO_BUCKETS,
    registry=_LOCAL,
)
ATTEMPTS_REFUSED = Counter(
    "regapi_attempts_refused",
    "Attempts refused by an attempt limit, by tenant and limit name",
    ["tenant", "limit"],
    registry=_LOCAL,
)
QUOTA_REFUSED = Counter(
    "regapi_quota_refused",
    "Requests refused before calling Cognito to keep under the account's quota, by tenant and quota category",
    ["tenant", "category"],
    registry=_LOCAL,
)
POLICY_RELOADS = Counter(
    "regapi_policy_reloads",
    "Hot reloads of one policy file, by outcome (applied: loaded or removed; refused: the last good version "
    "keeps serving, if any)",
    ["outcome"],
    registry=_LOCAL,
)
POLICIES_REFUSED = Gauge(
    "regapi_policies_refused",
    "Policy files refused now (not loaded, or refused at their last change)",
    multiprocess_mode="livemax",
    registry=_LOCAL,
)
TENANTS = Gauge("regapi_tenants", "Tenants served", multiprocess_mode="livemax", registry=_LOCAL)
WEBHOOK_DELIVERIES = Counter(
    "regapi_webhook_deliveries",
    "Webhook delivery attempts by tenant, event type and outcome",
    ["tenant", "type", "outcome"],
    registry=_LOCAL,
)

# Tenants some policy store of the process has served: the only values the tenant label takes. Written
# at start-up and by the reloader's thread, read by requests; set.add and `in` need no lock.
_served: set[str] = set()


def _tenant(tenant: str | None) -> str:
    return tenant if tenant in _served else NO_TENANT


def request(operation: str, outcome: str, seconds: float) -> None:
    """One GraphQL request; `operation` is already bounded by the caller (a root field of the schema)."""
    REQUESTS.labels(operation, outcome).inc()
    REQUEST_SECONDS.labels(operation).observe(seconds)


def decision(tenant: str, operation: str, allowed: bool, codes: Iterable[str]) -> None:
    """One policy decision (api.registration.tenancy.decide); `codes` are its violations' codes."""
    tenant = _tenant(tenant)
    DECISIONS.labels(tenant, operation, "true" if allowed else "false").inc()
    if not allowed:
        for code in set(codes):
            VIOLATIONS.labels(tenant, operation, code).inc()


def cognito_call(api: str, outcome: str, seconds: float) -> None:
    COGNITO_CALLS.labels(api, outcome).inc()
    COGNITO_SECONDS.labels(api).observe(seconds)


def limit_refused(tenant: str, limit: str) -> None:
    ATTEMPTS_REFUSED.labels(_tenant(tenant), limit).inc()


def quota_refused(tenant: str, category: str) -> None:
    QUOTA_REFUSED.labels(_tenant(tenant), category).inc()


def webhook_delivery(tenant: str, event_type: str, outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(_tenant(tenant), event_type, outcome).inc()


def policy_reload(applied: bool) -> None:
    POLICY_RELOADS.labels("applied" if applied else "refused").inc()


def tenants_served(tenants: Iterable[str]) -> None:
    """Tenants a store serves from now on may label metrics (start-up, and a reload that adds one)."""
    _served.update(tenants)


def policies(tenants: int, refused: int) -> None:
    """The store as it is now: tenants served, and policy files refused."""
    TENANTS.set(tenants)
    POLICIES_REFUSED.set(refused)


def registry() -> CollectorRegistry:
    """The registry to expose: every worker's values when several processes serve, else this process's."""
    path = os.environ.get(MULTIPROCESS_VARIABLE)
    if not path:
        return _LOCAL
    aggregated = CollectorRegistry()
    multiprocess.MultiProcessCollector(aggregated, path=path)  # type: ignore[no-untyped-call]
    return aggregated


def exposition() -> tuple[bytes, str]:
    """The body and content type of `GET /metrics` (Prometheus text format)."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """A worker process is gone: its gauges stop counting (its counters stay, as counters must)."""
    path = os.environ.get(MULTIPROCESS_VARIABLE)
    if path:
        multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # seconds a scraper has for its request: a stuck connection must not keep a thread

    def do_GET(self) -> None:
        if self.path.partition("?")[0] != "/metrics":
            self.send_error(404)
            return
        body, content_type = exposition()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would flood the log; errors show in Prometheus's own targets page."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """`GET /metrics` on a port of its own, in a daemon thread; `shutdown` (or `close`) stops it."""

    def __init__(self, host: str, port: int) -> None:
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host.strip("[]"), port), _Handler)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="regapi-metrics", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    close = shutdown


def serve_metrics(host: str, port: int) -> MetricsServer:
    """Serve `GET /metrics` on host:port (0: a free port, then read `.port`)."""
    return MetricsServer(host, port)
