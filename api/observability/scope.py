"""What is known of the request being served, for the code far below the one that learnt it: its id (the
log lines), its tenant (Cognito's quota buckets, api.cognito.quotas) and who acts (the audit events).

One mutable `RequestScope` per request, made by api.observability.request_ids.RequestIds before anything
else runs, and a fresh one (`field`) for each root field of a GraphQL document, which may hold several,
run one after another (mutations) or at once (queries), each for its own tenant and caller. A use case
that learns the tenant or the actor writes it there, and the Cognito call or log line made later in that
field, in a worker thread or a task of its own, reads it (anyio and asyncio copy the context, so they
share the one object). Outside a request (start-up, reload) there is none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# The actor of a request nobody has authenticated: a browser page or an app calling the self-service flows.
ANONYMOUS = "anonymous"


@dataclass(slots=True)
class RequestScope:
    request_id: str
    tenant: str | None = None
    # Who acts: an API key's name (`key:<name>`), an administrator's `sub` (`admin:<sub>`), a signed-in
    # user's `sub` (`user:<sub>`), else ANONYMOUS.
    actor: str = ANONYMOUS
    # An allowed decision's audit event, written when the field ends with its outcome (api.observability.audit).
    pending: dict[str, Any] | None = None


_current: ContextVar[RequestScope | None] = ContextVar("request_scope", default=None)


def current() -> RequestScope | None:
    """The scope of the request being served here, or None outside any."""
    return _current.get()


@contextlib.contextmanager
def entered(scope: RequestScope) -> Iterator[RequestScope]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@contextlib.contextmanager
def field() -> Iterator[RequestScope | None]:
    """A scope of its own for one root field of the request being served (the same request id); none
    outside a request."""
    outer = _current.get()
    if outer is None:
        yield None
        return
    with entered(RequestScope(outer.request_id)) as inner:
        yield inner


def set_tenant(tenant: str) -> None:
    if (scope := _current.get()) is not None:
        scope.tenant = tenant


def set_actor(actor: str) -> None:
    if (scope := _current.get()) is not None:
        scope.actor = actor


def tenant() -> str | None:
    scope = _current.get()
    return scope.tenant if scope is not None else None


def actor() -> str:
    scope = _current.get()
    return scope.actor if scope is not None else ANONYMOUS
