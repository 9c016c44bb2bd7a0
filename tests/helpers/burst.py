"""Concurrent bursts as production sees them: every connection opened first, then all requests released
together by a barrier, so the server has them all in flight at once."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from tests.helpers.recorder import record

Request = tuple[str, Mapping[str, Any]]  # a GraphQL document and its variables
Target = tuple[str | httpx.URL, Mapping[str, str]]  # a server and the headers of one client


def burst(
    base_url: str | httpx.URL,
    requests: Sequence[Request],
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> list[dict[str, Any]]:
    """Send every request on its own connection at the same moment; the JSON bodies, in request order."""
    return burst_to([(base_url, headers or {})] * len(requests), requests, timeout)


def burst_to(targets: Sequence[Target], requests: Sequence[Request], timeout: float = 60.0) -> list[dict[str, Any]]:
    """As `burst`, each request to its own server with its own headers (several processes, addresses)."""
    bodies = [{"query": query, "variables": dict(variables)} for query, variables in requests]
    return burst_bodies(targets, bodies, timeout)


def burst_bodies(
    targets: Sequence[Target], requests: Sequence[Mapping[str, Any]], timeout: float = 60.0
) -> list[dict[str, Any]]:
    """As `burst_to`, with whole request bodies (a persisted query's `extensions`, say)."""
    clients = [httpx.Client(base_url=url, headers=dict(headers), timeout=timeout) for url, headers in targets]
    barrier = threading.Barrier(len(requests))
    bodies: list[dict[str, Any] | BaseException] = [RuntimeError("not sent")] * len(requests)

    def send(index: int) -> None:
        client = clients[index]
        try:
            client.get("/healthz").raise_for_status()  # the connection is open before the release
            barrier.wait(timeout)
            response = client.post("/graphql", json=dict(requests[index]))
            bodies[index] = record(response.json()) if response.status_code == 200 else RuntimeError(response.text)
        except BaseException as exc:
            bodies[index] = exc
            barrier.abort()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 10)
    finally:
        for client in clients:
            client.close()
    failed = [b for b in bodies if isinstance(b, BaseException)]
    if failed:
        raise AssertionError(f"{len(failed)} of {len(requests)} requests failed: {failed[0]!r}")
    return [b for b in bodies if not isinstance(b, BaseException)]


def result(body: Mapping[str, Any]) -> Any:
    """The one field's value of a GraphQL answer without errors."""
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value
