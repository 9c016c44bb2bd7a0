"""Audit events: what was decided or done, for whom, by whom, in which request. One record each on the
`regapi.audit` logger, its fields structured (JSON keys, or `key=value` in text), never a password, code,
session, token or key, and never a value a caller typed but the names of what it sent.

Each event carries the request's tenant and actor from its scope (api.observability.scope) unless given;
the request id is added by the formatter, as on every line of the request.
"""

from __future__ import annotations

import logging

from api.observability import scope
from api.observability.logging import FIELDS

log = logging.getLogger("regapi.audit")

Value = str | int | bool | list[str] | None


def event(name: str, /, level: int = logging.INFO, **fields: Value) -> None:
    """One audit event named `name` (decision, origin_refused, admin_refused, limit_refused, admin_action ...)."""
    if not log.isEnabledFor(level):
        return
    values: dict[str, Value] = {"event": name}
    if "tenant" not in fields:
        values["tenant"] = scope.tenant()
    values.update(fields)
    values.setdefault("actor", scope.actor())
    log.log(level, "%s", name, extra={FIELDS: values})
