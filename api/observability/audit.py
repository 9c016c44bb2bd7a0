"""Audit events: what was decided or done, for whom, by whom, in which request. One record each on the
`regapi.audit` logger, its fields structured (JSON keys, or `key=value` in text), never a password, code,
session, token or key, and never a value a caller typed but the names of what it sent.

Each event carries the request's tenant and actor from its scope (api.observability.scope) unless given;
the request id is added by the formatter, as on every line of the request.

A request that passes its policy decision may still be refused later (a taken username, a wrong password,
Cognito down): the allowed decision's event waits in the scope (`decision`) and is written once, with
the request's `outcome`, when a refusal event comes (merged into it: one event, not two) or when the
field ends (`finish`). So every request writes one event, and a refused one its event and its access
line only. A denied decision is written at once: nothing follows it.
"""

from __future__ import annotations

import logging

from api.observability import scope
from api.observability.logging import FIELDS

log = logging.getLogger("regapi.audit")

Value = str | int | bool | list[str] | None


SUCCESS = "success"
ERROR = "error"  # the field failed unexpectedly (a masked error)


def event(name: str, /, level: int = logging.INFO, **fields: Value) -> None:
    """One audit event named `name` (origin_refused, admin_refused, limit_refused, refused, admin_action ...).
    A refusal (an event with a `code`) after an allowed decision is written as that decision's event."""
    served = scope.current()
    pending = served.pending if served is not None else None
    if pending is not None and served is not None:
        served.pending = None
        if "code" in fields:  # the request's refusal: the decision's outcome
            outcome = {key: value for key, value in fields.items() if key != "code"}
            _write("decision", max(level, logging.INFO), {**pending, "outcome": fields["code"], **outcome})
            return
        _write("decision", logging.INFO, {**pending, "outcome": SUCCESS})  # what came after it succeeded
    _write(name, level, fields)


def decision(allowed: bool, **fields: Value) -> None:
    """A policy decision's event: a denial at once; an allowed decision when its request's outcome is known."""
    values = dict(fields)
    values = {key: values.pop(key) for key in ("tenant", "operation") if key in values} | {"allowed": allowed} | values
    served = scope.current()
    if allowed and served is not None:
        if served.pending is not None:  # a second decision in one field: the first one's outcome was success
            _write("decision", logging.INFO, {**served.pending, "outcome": SUCCESS})
        served.pending = values
        return
    _write("decision", logging.INFO, {**values, "outcome": "POLICY_VIOLATION" if not allowed else SUCCESS})


def finish(failed: bool = False) -> None:
    """The end of a root field: its allowed decision's event, if still waiting, with its outcome."""
    served = scope.current()
    if served is not None and served.pending is not None:
        pending, served.pending = served.pending, None
        _write("decision", logging.INFO, {**pending, "outcome": ERROR if failed else SUCCESS})


def _write(name: str, level: int, fields: dict[str, Value]) -> None:
    if not log.isEnabledFor(level):
        return
    values: dict[str, Value] = {"event": name}
    if "tenant" not in fields:
        values["tenant"] = scope.tenant()
    values.update(fields)
    values.setdefault("actor", scope.actor())
    log.log(level, "%s", name, extra={FIELDS: values})
