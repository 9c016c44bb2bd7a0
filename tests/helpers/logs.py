"""Log lines above INFO while a block runs, uvicorn's included.

The root conftest's `log_capture` collects every line through the root logger; uvicorn's loggers do not
propagate to it (uvicorn's logging config gives them their own handler), so the "Exception in ASGI
application" of a 500 and h11/httptools' "Invalid HTTP request received." would pass unseen. This listens
on both.
"""

from __future__ import annotations

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
