"""The one logging setup: every record is one physical line, whatever the values it carries.

A log line is read by people and by parsers that split on newlines; a value that came from a request (an
attribute's name, a GraphQL error's text) must not start a line of its own, colour a terminal or fill a
disk. `LineFormatter` therefore

- caps each string value a record carries at `MAX_VALUE` characters before the message is built,
- escapes every character that is not printable in the finished line, traceback included (LF becomes the
  two characters `\\n`, ESC `\\x1b`, U+202E `\\u202e`; control, format, separator, surrogate and unassigned
  code points alike), so one record is always one line,
- ends a line written while a request runs with its `request_id=` (api.observability.request_ids),
- and caps the line at `MAX_LINE` characters.

`configure` installs it on the root logger for `regapi serve`; the test suite's log capture uses the same
formatter, so the tests read what production writes.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from api.observability.request_ids import current as current_request_id

MAX_VALUE = 256
MAX_LINE = 4096
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
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


class LineFormatter(logging.Formatter):
    """A `logging.Formatter` whose every record comes out as one escaped, capped line."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if args:
            record.args = _capped_args(args)
        try:
            line = super().format(record)
        finally:
            record.args = args
        # Read here, in the thread that logs: handlers format as the record is made, inside the request.
        request_id = current_request_id()
        if request_id is not None:
            line = f"{line} request_id={request_id}"
        return cap(escape(line), MAX_LINE)


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Log to stderr (or `stream`) through `LineFormatter`, as `logging.basicConfig` would otherwise."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(LineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
