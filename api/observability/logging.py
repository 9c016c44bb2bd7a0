"""The one logging setup: every record is one physical line, whatever the values it carries, in one of two
formats: one JSON object a line (`JsonFormatter`, REGAPI_LOG_FORMAT=json, production's default) for log
pipelines, or text (`LineFormatter`) for a person's terminal.

A log line is read by people and by parsers that split on newlines; a value that came from a request (an
attribute's name, a GraphQL error's text) must not start a line of its own, colour a terminal or fill a
disk. `LineFormatter` therefore

- caps each string value a record carries at `MAX_VALUE` characters before the message is built,
- escapes every character that is not printable in the finished line, traceback included (LF becomes the
  two characters `\\n`, ESC `\\x1b`, U+202E `\\u202e`; control, format, separator, surrogate and unassigned
  code points alike), so one record is always one line,
- ends a line written while a request runs with its `request_id=` (api.observability.request_ids),
- and caps the line at `MAX_LINE` characters.

`JsonFormatter` writes `time`, `level`, `logger`, `message`, the request's `request_id`, an event's fields
(`FIELDS`: api.observability.audit) and any `exception`, strings capped the same way; JSON escapes every
control character and, with ASCII output, every other non-ASCII one, so its lines are one line too.

`configure` installs one of them on the root logger for `regapi serve`; the test suite's log capture
formats every record with both, so the tests read what production writes, in either format.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from api.observability import scope

MAX_VALUE = 256
MAX_LINE = 4096
# A JSON line's message and exception text: together under MAX_LINE, so a JSON line is never cut (and so
# never stops being JSON).
MAX_MESSAGE = MAX_LINE // 4
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The record attribute holding an event's fields (`logging.Logger.info(..., extra={FIELDS: {...}})`).
FIELDS = "regapi_fields"


def current_request_id() -> str | None:
    served = scope.current()
    return served.request_id if served is not None else None


Format = Literal["json", "text"]
# A text value written bare after `key=`; anything else (spaces, `=`, quotes: text that could pass for
# another field) is written as a JSON string.
_BARE = re.compile(r"[^\s=\"']+")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """`text` with every non-printable character written as a Python escape; printable text unchanged."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def cap(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note of how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text)} chars]"


def _capped(value: object) -> object:
    return cap(value, MAX_VALUE) if isinstance(value, str) else value


def _capped_args(args: Any) -> Any:
    if isinstance(args, Mapping):
        return {key: _capped(value) for key, value in args.items()}
    if isinstance(args, tuple):
        return tuple(_capped(value) for value in args)
    return args


def _message(record: logging.LogRecord) -> str:
    """The record's message, built from its capped values; the record itself is left as it was."""
    args = record.args
    if args:
        record.args = _capped_args(args)
    try:
        return record.getMessage()
    finally:
        record.args = args


def _fields(record: logging.LogRecord) -> Mapping[str, object]:
    fields = getattr(record, FIELDS, None)
    return fields if isinstance(fields, Mapping) else {}


def _text_value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value) or "-"
    text = cap(str(value), MAX_VALUE)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class LineFormatter(logging.Formatter):
    """A `logging.Formatter` whose every record comes out as one escaped, capped line: the message, then
    each event field as `key=value`, then the request's id."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if args:
            record.args = _capped_args(args)
        try:
            line = super().format(record)
        finally:
            record.args = args
        fields = _fields(record)
        if fields:
            # An event's name is the message already.
            line += "".join(f" {key}={_text_value(value)}" for key, value in fields.items() if key != "event")
        # Read here, in the thread that logs: handlers format as the record is made, inside the request.
        request_id = current_request_id()
        if request_id is not None:
            line = f"{line} request_id={request_id}"
        return cap(escape(line), MAX_LINE)


def _json_value(value: object) -> object:
    if isinstance(value, str):
        return cap(value, MAX_VALUE)
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return cap(str(value), MAX_VALUE)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: what a log pipeline parses without guessing where a field ends."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": cap(_message(record), MAX_MESSAGE),
        }
        request_id = current_request_id()
        if request_id is not None:
            line["request_id"] = request_id
        for key, value in _fields(record).items():
            line.setdefault(key, _json_value(value))  # an event's field never replaces the line's own
        if record.exc_info:
            line["exception"] = cap(self.formatException(record.exc_info), MAX_MESSAGE)
        return json.dumps(line, ensure_ascii=True, separators=(",", ":"))


def formatter(log_format: Format) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else LineFormatter(FORMAT)


_console_format: Format = "text"


def console_line(message: str, fields: Mapping[str, object]) -> str:
    """A line written straight to the console, not through logging (the embedded outbox's), in the format
    `configure` set: a JSON object of the message and `fields`, or the message alone (a person reads it,
    so it says everything the fields do)."""
    if _console_format == "json":
        line: dict[str, object] = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "message": message}
        line.update({key: _json_value(value) for key, value in fields.items()})
        return json.dumps(line, ensure_ascii=True, separators=(",", ":"))
    return escape(message)


def configure(level: int = logging.INFO, stream: TextIO | None = None, log_format: Format = "text") -> None:
    """Log to stderr (or `stream`) in `log_format`, as `logging.basicConfig` would otherwise; console lines
    (`console_line`) follow the same format."""
    global _console_format  # noqa: PLW0603 - the process has one console
    _console_format = log_format
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    # Neither format shows where a line was logged from, nor its thread or process: not looking them up
    # for every record (a stack walk, two lookups; Python's logging HOWTO, "Optimization") is a third
    # of what a request's access line costs.
    logging._srcfile = None  # the documented switch
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
