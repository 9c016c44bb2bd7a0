"""The `Api` GraphQL client over real HTTP, and the Cognito behind the API (its outbox and its clock)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from api.clock import ManualClock
from api.policy import TenantPolicy, normalize_username
from tests.helpers.recorder import record

SECRET_FIELDS = frozenset({"password", "newPassword", "code"})


def _secret_values(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_FIELDS and isinstance(item, str) and len(item) >= 6:
                yield item
            else:
                yield from _secret_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item)


class Cognito(Protocol):
    """What a test needs of the Cognito behind the API: its outbox and its clock."""

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]: ...

    def advance(self, delta: timedelta) -> None: ...

    def now(self) -> datetime: ...


class InProcessCognito:
    """The embedded backend: the API's own /dev/outbox and the clock handed to create_app."""

    def __init__(self, http: httpx.Client, clock: ManualClock) -> None:
        self._http, self._clock = http, clock

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]:
        response = self._http.get("/dev/outbox", params={"tenant": tenant, "username": username})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

    def advance(self, delta: timedelta) -> None:
        self._clock.advance(delta)

    def now(self) -> datetime:
        return self._clock.now()


class StandaloneCognito:
    """A `regapi cognito serve --manual-clock` process, reached over HTTP like any Cognito endpoint."""

    def __init__(self, url: str, tenants: dict[str, TenantPolicy]) -> None:
        self.url, self._tenants = url, tenants
        self._http = httpx.Client(base_url=url, timeout=30)

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]:
        stored = normalize_username(self._tenants[tenant].policy, username)
        response = self._http.get("/outbox", params={"tenant": tenant, "username": stored})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

    def _clock(self, seconds: float) -> datetime:
        response = self._http.post("/clock", params={"advance": str(seconds)})
        assert response.status_code == 200, response.text
        return datetime.fromisoformat(response.json()["now"])

    def advance(self, delta: timedelta) -> None:
        self._clock(delta.total_seconds())

    def now(self) -> datetime:
        return self._clock(0)


@dataclass
class Api:
    """A GraphQL client over real HTTP, plus the outbox and clock of the Cognito behind the API.

    Every password and code it sends or reads is remembered; a response that echoes one fails at once,
    and the `no_secret_in_logs` fixture fails a test that let one reach a log line. Every code a response
    carries is recorded (tests.helpers.recorder) for the guard that every code is reached.
    """

    http: httpx.Client
    cognito: Cognito
    secrets: set[str] = field(default_factory=set)

    def advance(self, delta: timedelta) -> None:
        self.cognito.advance(delta)

    def now(self) -> datetime:
        return self.cognito.now()

    def gql(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        sent = set(_secret_values(variables or {}))
        self.secrets |= sent
        if token:
            self.secrets.add(token)
        response = self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        # No response carries a password, temporary password or API key the suite has seen, nor a code it
        # was sent. (Six-digit codes are only checked where sent: by chance they occur inside tokens.)
        watched = sent | {secret for secret in self.secrets if len(secret) >= 8}
        leaked = [secret for secret in watched if secret in response.text]
        assert not leaked, "a response contains a password, code or key"
        body: dict[str, Any] = record(response.json())
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> Any:
        body = self.gql(query, variables, token=token)
        assert "errors" not in body, body
        (value,) = body["data"].values()
        return value

    def outbox(self, tenant: str, username: str) -> list[dict[str, Any]]:
        return self.cognito.outbox(tenant, username)

    def last_code(self, tenant: str, username: str, kind: str = "SIGN_UP_CODE") -> str:
        codes = [m["code"] for m in self.outbox(tenant, username) if m["kind"] == kind]
        assert codes, f"no code was sent to {username}"
        self.secrets.add(str(codes[-1]))
        return str(codes[-1])

    def temporary_password(self, tenant: str, username: str) -> str:
        sent = [m["temporaryPassword"] for m in self.outbox(tenant, username) if m["kind"] == "INVITATION"]
        assert sent, f"no invitation was sent to {username}"
        self.secrets.add(str(sent[-1]))
        return str(sent[-1])
