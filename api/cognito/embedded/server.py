"""`regapi cognito serve`: the embedded Cognito as a standalone HTTP endpoint.

Any AWS SDK, the AWS CLI, Amplify or regapi's own `aws` backend can point at it (endpoint
http://127.0.0.1:9229) with no AWS account. It is moto's server with regapi's fidelity layer, plus:

- `GET /outbox?username=&tenant=`: the codes and temporary passwords it "sent" (also printed);
- `POST /clock?advance=SECONDS`: only with `--manual-clock`, moves its clock forward, so that tests in
  another process can reach expiries.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import make_server

from api.clock import Clock, ManualClock, SystemClock
from api.cognito.embedded import handlers, moto_internals
from api.cognito.embedded.outbox import Outbox
from api.cognito.embedded.state import REGISTRY

log = logging.getLogger("regapi.cognito.serve")

DEFAULT_PORT = 9229
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _json(start_response: StartResponse, status: str, body: object) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def create_wsgi_app(outbox: Outbox, clock: Clock) -> WSGIApp:
    """moto's cognito-idp server behind regapi's fidelity layer, with the outbox and clock routes."""
    handlers.install()
    REGISTRY.set_default(clock, outbox)
    cognito = moto_internals.cognito_wsgi_app()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/outbox" and method == "GET":
            messages = outbox.messages(tenant=query.get("tenant"), username=query.get("username"))
            return _json(start_response, "200 OK", [m.to_json() for m in messages])
        if path == "/clock" and method == "POST":
            if not isinstance(clock, ManualClock):
                return _json(start_response, "404 Not Found", {"error": "start with --manual-clock to move the clock"})
            try:
                seconds = float(query.get("advance", ""))
            except ValueError:
                return _json(start_response, "400 Bad Request", {"error": "advance=SECONDS is required"})
            clock.advance(timedelta(seconds=seconds))
            return _json(start_response, "200 OK", {"now": clock.now().isoformat()})
        body: Iterable[bytes] = cognito(environ, start_response)
        return body

    return app


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, manual_clock: bool = False) -> None:
    clock: Clock = ManualClock() if manual_clock else SystemClock()
    app = create_wsgi_app(Outbox(), clock)
    server = make_server(host, port, app, threaded=True, request_handler=moto_internals.request_handler())
    # Printed, not logged: this line is what a person starting it waits for, and tests wait for it too.
    print(f"regapi cognito serve: listening on http://{host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass
    finally:
        server.server_close()
