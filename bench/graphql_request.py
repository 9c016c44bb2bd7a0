"""In-process cost of one GraphQL request, with regapi's schema, with and without the parser and
validation caches, and of one policy decision. Prints microseconds per request; run with
`.venv/bin/python bench/graphql_request.py`.

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
from api.policy import Operation, evaluate, load_directory
from api.policy.engine import PolicyRequest
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


def decision_us() -> dict[str, float]:
    tenants = load_directory(ROOT / "policies")
    requests = {
        "shop sign_up": (
            tenants["shop"],
            PolicyRequest(
                Operation.SIGN_UP,
                "ann@shop.example",
                (("name", "Ann"), ("custom:plan", "pro")),
                password="correct horse 42",
            ),
        ),
        "acme invite": (
            tenants["acme"],
            PolicyRequest(
                Operation.INVITE, "alice", (("email", "alice@acme.example"), ("custom:employee_id", "E123456"))
            ),
        ),
        "acme first_sign_in": (
            tenants["acme"],
            PolicyRequest(
                Operation.FIRST_SIGN_IN,
                "alice",
                (("name", "Alice"),),
                password="Str0ng-Passw0rd!",
                existing_attributes=frozenset({"email", "custom:employee_id"}),
            ),
        ),
    }
    figures = {}
    for name, (policy, request) in requests.items():
        runs = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            for _ in range(2000):
                evaluate(policy, request)
            runs.append((time.perf_counter() - start) / 2000 * 1e6)
        figures[name] = statistics.median(runs)
    return figures


async def main() -> None:
    cached = create_app(Settings(policy_dir=ROOT / "policies"))
    apps = {
        "plain starlette route (baseline)": baseline_app(),
        "regapi, caches on": cached,
        "regapi, no caches": uncached_app(cached),
    }
    results = {name: await per_request_us(app) for name, app in apps.items()}
    base = results["plain starlette route (baseline)"]
    print(f"registrationForm request, in-process, median of {ROUNDS} rounds x {PER_ROUND}:")
    for name, value in results.items():
        print(f"  {name:<34} {value:8.1f} us/request  {value / base:6.1f}x baseline")
    print(f"  cache speed-up: {results['regapi, no caches'] / results['regapi, caches on']:.1f}x")
    print("policy engine, median us per decision:")
    for name, value in decision_us().items():
        print(f"  {name:<34} {value:8.2f} us")


if __name__ == "__main__":
    asyncio.run(main())
