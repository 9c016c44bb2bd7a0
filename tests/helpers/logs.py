"""Log capture for the suite: the session-wide collectors (text and JSON, the root conftest's `log_capture`
and `json_log_capture`), and the lines above INFO while a block runs, uvicorn's included.

The root conftest's `log_capture` collects every line through the root logger; uvicorn's loggers do not
propagate to it (uvicorn's logging config gives them their own handler), so the "Exception in ASGI
application" of a 500 and h11/httptools' "Invalid HTTP request received." would pass unseen. This listens
on both.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def lines_above_info() -> Iterator[list[str]]:
    """The lines above INFO logged while the block runs, as "logger LEVEL message"."""
    lines: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collector(level=logging.WARNING)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield lines
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


class Collector(logging.Handler):
    def __init__(self, formatter: logging.Formatter, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(formatter)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class JsonCollector(Collector):
    """Each record as production's JSON line, parsed at once (the logger of a line that does not parse goes
    to `unparsed`, which the suite's `no_secret_in_logs` fails on), and kept as its values with every character
    unescaped, so that a secret JSON wrote as `\\u00e4` is found as the secret's own text."""

    def __init__(self, formatter: logging.Formatter, lines: list[str], unparsed: list[str]) -> None:
        super().__init__(formatter, lines)
        self.unparsed = unparsed

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        try:
            parsed = json.loads(line)
        except ValueError:
            self.unparsed.append(record.name)
            parsed = line
        self.lines.append(f"{record.name} " + json.dumps(parsed, ensure_ascii=False))


def capturing(handler: Collector) -> Iterator[list[str]]:
    """`handler` on the root logger at DEBUG while the generator runs (a session fixture's body)."""
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(previous)
