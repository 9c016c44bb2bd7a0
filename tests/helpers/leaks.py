"""Finding secrets in the log lines of the session, quickly enough to do after every test."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# A short secret (a six-digit code) counts only as a whole token: as a substring it turns up by chance
# in the hex object addresses and revision hashes of DEBUG lines.
SHORT = 8
_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{1,7}(?![0-9A-Za-z])")


class LogScan:
    """The session's log lines, scanned once each: short tokens kept in a set, long secrets searched in
    the joined text."""

    def __init__(self) -> None:
        self._seen = 0
        self._tokens: set[str] = set()
        self._text: list[str] = []

    def leaked(self, lines: Sequence[str], secrets: Iterable[str]) -> list[str]:
        for line in lines[self._seen :]:
            self._tokens.update(_TOKEN.findall(line))
            self._text.append(line)
        self._seen = len(lines)
        text = "\n".join(self._text)
        return [s for s in secrets if (s in self._tokens if len(s) < SHORT else s in text)]

    def loggers(self, lines: Sequence[str], leaked: Iterable[str]) -> list[str]:
        """The loggers that wrote them (never the lines: they hold the secrets)."""
        found = set(leaked)
        return sorted(
            {
                line.split(" ", 1)[0]
                for line in lines
                if found & set(_TOKEN.findall(line)) or any(s in line for s in found if len(s) >= SHORT)
            }
        )
