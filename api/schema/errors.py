"""Top-level GraphQL errors: unexpected ones masked, and no input value ever echoed or logged.

graphql-core words a bad variable as "Variable '$input' has invalid value: ... found: {...the whole
input...}", which would put a password into the response and, through strawberry's error logging, into
the logs.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError

log = logging.getLogger("regapi.graphql")

GENERIC = "Unexpected error."
# graphql-core quotes the offending input after one of these words ("found: {...}", "Found: {...}",
# "got invalid value {...}", "cannot represent ...: 5"). Everything from the first one on is cut, so a
# wording not seen yet still cannot carry a value past the marker.
_VALUE_MARKER = re.compile(r"\b(found\b|got invalid value\b|cannot represent\b)", re.IGNORECASE)


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class PublicError(GraphQLError):
    """A deliberate top-level error with a stable code in `extensions.code` (and, when waiting helps,
    `extensions.retryAfterSeconds`); never masked."""

    def __init__(self, message: str, code: str, *, retry_after_seconds: int | None = None) -> None:
        extensions: dict[str, object] = {"code": code}
        if retry_after_seconds is not None:
            extensions["retryAfterSeconds"] = retry_after_seconds
        super().__init__(message, extensions=extensions)


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def redact(message: str) -> str:
    match = _VALUE_MARKER.search(message)
    if match is None:
        return message
    return message[: match.start()] + f"{match.group(1)} <redacted>."


def public(errors: list[GraphQLError], *, hide_suggestions: bool) -> list[GraphQLError]:
    """The errors as a client may see them: an unexpected one masked (its path and position kept), and no
    input value quoted; in production no "Did you mean" either, which maps the schema for a prober."""
    return [_public(error, hide_suggestions) for error in errors]


def _public(error: GraphQLError, hide_suggestions: bool) -> GraphQLError:
    if is_unexpected(error):
        return GraphQLError(GENERIC, error.nodes, error.source, error.positions, error.path)
    message = redact(error.message)
    if hide_suggestions:
        message = _SUGGESTION.sub("", message)
    if message == error.message:
        return error
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, extensions=error.extensions)


def log_errors(errors: list[GraphQLError]) -> None:
    """Replaces strawberry's logging, which prints the query source and the error's full text.

    One line per request and kind, however many errors it had (a document of a hundred unknown fields
    has a hundred): the first error, and how many more there were.
    """
    unexpected = [error for error in errors if is_unexpected(error)]
    expected = [error for error in errors if not is_unexpected(error)]
    original = unexpected[0].original_error if unexpected else None
    if original is not None:
        # The exception's type and where it happened; its text may hold input, so it stays out.
        log.error(
            "unexpected error in %s: %s%s",
            ".".join(str(p) for p in unexpected[0].path or []) or "-",
            type(original).__name__,
            _more(unexpected),
            exc_info=(type(original), original, original.__traceback__) if log.isEnabledFor(logging.DEBUG) else None,
        )
    if expected:
        # A refusal a use case answered (a PublicError) has its audit event already; a line more at INFO
        # would be the request's third. Documents that do not validate have no other line.
        refusals = all(isinstance(error.original_error, PublicError) for error in expected)
        level = logging.DEBUG if refusals else logging.INFO
        log.log(level, "graphql error: %s%s", redact(expected[0].message), _more(expected))


def _more(errors: list[GraphQLError]) -> str:
    return f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
