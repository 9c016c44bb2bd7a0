"""`regapi cognito serve`: the embedded Cognito as a standalone HTTP endpoint.

Any AWS SDK, the AWS CLI, Amplify or regapi's own `aws` backend can point at it (endpoint
http://127.0.0.1:9229) with no AWS account. It is moto's server with regapi's fidelity layer, plus:

- `GET /outbox?username=&tenant=`: the codes and temporary passwords it "sent" (also printed);
- `POST /clock?advance=SECONDS`: only with `--manual-clock`, moves its clock forward, so that tests in
  another process can reach expiries;
- `GET /<pool id>/.well-known/jwks.json` and `.../openid-configuration`: the pool's key set and discovery
  document, its tokens' issuer being `http://HOST:PORT/<pool id>` (api.cognito.embedded.discovery), in
  place of moto's, which serve the key pair it ships and AWS's issuer.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import make_server

from api.clock import Clock, ManualClock, SystemClock
from api.cognito.embedded import discovery, handlers, moto_internals
from api.cognito.embedded.outbox import Outbox
from api.cognito.embedded.state import REGISTRY
from api.observability.logging import console_line

log = logging.getLogger("regapi.cognito.serve")

DEFAULT_PORT = 9229
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
# As loose as moto's own routes for these documents (unescaped dots), so that none of them reaches moto.
_DOCUMENT = re.compile(r"/(?P<pool_id>[^/]+)/.well-known/(?P<name>jwks.json|openid-configuration)")


def _json(start_response: StartResponse, status: str, body: object) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _document(start_response: StartResponse, path: str, method: str) -> list[bytes]:
    """The key set or discovery document a path names, of a pool this endpoint holds; else 404."""
    match = _DOCUMENT.fullmatch(path)
    document = None
    if match is not None and method in ("GET", "HEAD") and path.endswith(f"/.well-known/{match['name']}"):
        try:
            with moto_internals.exclusive():
                moto_internals.pool_by_id(match["pool_id"])
        except moto_internals.JsonRESTError:  # no such pool: nothing is remembered of its id
            return _json(start_response, "404 Not Found", {"error": "no such user pool"})
        if (issuer := REGISTRY.rules(match["pool_id"]).issuer) is not None:
            document = discovery.document(issuer, match["name"])
    if document is None:
        return _json(start_response, "404 Not Found", {"error": "no such user pool"})
    return _json(start_response, "200 OK", document)


def create_wsgi_app(outbox: Outbox, clock: Clock, url: str) -> WSGIApp:
    """moto's cognito-idp server behind regapi's fidelity layer, with the outbox, clock and key routes; its
    pools issue tokens for `<url>/<pool id>`, `url` being where it is reached."""
    handlers.install()
    REGISTRY.set_default(clock, outbox, issuer_base=url)
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
        if _DOCUMENT.fullmatch(path):
            return _document(start_response, path, method)
        body: Iterable[bytes] = cognito(environ, start_response)
        return body

    return app


def _not_ready(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:  # pragma: no cover
    """The app of a server bound but not yet serving (the real one needs the bound port): never called."""
    return _json(start_response, "503 Service Unavailable", {"error": "starting"})


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, manual_clock: bool = False) -> None:
    clock: Clock = ManualClock() if manual_clock else SystemClock()
    server = make_server(host, port, _not_ready, threaded=True, request_handler=moto_internals.request_handler())
    # The issuer names the port bound (`--port 0` picks one), known only now: the app is set before serving.
    url = discovery.listening_url(host, server.server_port)
    server.app = create_wsgi_app(Outbox(), clock, url)
    # Printed, not logged: this line is what a person starting it waits for, and tests wait for it too.
    print(console_line(f"regapi cognito serve: listening on {url}", {"url": url}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass
    finally:
        server.server_close()
