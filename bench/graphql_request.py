"""In-process cost of one GraphQL request, with regapi's schema, with each document's verdict kept (what
runs: api.schema.documents) and with none kept (every request parsed and validated). Prints microseconds
per request; run with `.venv/bin/python bench/graphql_request.py`. The policy engine's figures are
bench/policy_engine.py's, and all of issue 15's figures over HTTP bench/perf.py's.

The baseline in the same run is a plain Starlette JSON route doing no GraphQL work, so the figures
can be compared across machines as ratios.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.app import create_app
from api.schema import build_schema
from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FORM = """query Form($tenant: ID!, $operation: RegistrationOperation!) {
  registrationForm(tenant: $tenant, operation: $operation) {
    tenant enabled usernameKind passwordPolicy { minLength requireDigits }
    fields { attribute required writable alreadySet inputType pattern maxLength options }
  }
}"""
BODY = json.dumps({"query": FORM, "variables": {"tenant": "shop", "operation": "SIGN_UP"}}).encode()
ROUNDS, PER_ROUND = 7, 300


async def call(app: Any, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        # A Host the app serves (in development, the local names): without one it answers 400, as it must.
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def per_request_us(app: Any) -> float:
    assert await call(app, BODY) == 200
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(PER_ROUND):
            await call(app, BODY)
        rounds.append((time.perf_counter() - start) / PER_ROUND * 1e6)
    return statistics.median(rounds)


def uncached_app(cached: Starlette) -> Starlette:
    """The same app with a schema that keeps no document's verdict: each request parses and validates."""
    schema = build_schema(documents=0)
    view = next(r for r in cached.router.routes if getattr(r, "path", None) == "/graphql")
    clone = type(view.endpoint)(schema, view.endpoint._use_cases, graphiql=False)  # type: ignore[attr-defined]
    return Starlette(routes=[Route("/graphql", clone, methods=["POST"])])


def baseline_app() -> Starlette:
    async def plain(request: Request) -> JSONResponse:
        payload = json.loads(await request.body())
        return JSONResponse({"data": {"echo": payload["variables"]["tenant"]}})

    return Starlette(routes=[Route("/graphql", plain, methods=["POST"])])


async def main() -> None:
    cached = create_app(Settings(policy_dir=ROOT / "policies"))
    apps = {
        "plain starlette route (baseline)": baseline_app(),
        "regapi, documents judged once": cached,
        "regapi, judged every request": uncached_app(cached),
    }
    results = {name: await per_request_us(app) for name, app in apps.items()}
    base = results["plain starlette route (baseline)"]
    print(f"registrationForm request, in-process, median of {ROUNDS} rounds x {PER_ROUND}:")
    for name, value in results.items():
        print(f"  {name:<34} {value:8.1f} us/request  {value / base:6.1f}x baseline")
    judged_once = results["regapi, documents judged once"]
    print(f"  judging each document once: {results['regapi, judged every request'] / judged_once:.1f}x faster")


if __name__ == "__main__":
    asyncio.run(main())
