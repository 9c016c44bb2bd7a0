"""The documents the schema has seen: each text parsed and validated once, its verdict kept.

regapi's limits on a document (the token cap, depth, aliases, no introspection in production) are
validation rules: a document passes or fails them once and for all, whatever its variables. So the
first request with a text parses it (the token cap stops a huge document while parsing, the cheap first
gate) and validates it; later requests with the same text reuse the verdict and go straight to
execution. Nothing of an answer is kept: every request is executed.

Keyed by the text itself, not by the parsed document: graphql-core 3.3 no longer caches an AST node's
hash, and strawberry's ValidationCache pays that hash (about 10 µs) on every request.

Automatic persisted queries (Apollo's and urql's `extensions.persistedQuery`, version 1): once a client
has sent a document with its SHA-256, it may send the hash alone. A text is remembered under its hash
only when it hashes to it and passed validation, so a hash never stands for another document or for one
that was refused; both memories are bounded (the least recently used go first).
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules
from strawberry.exceptions import MissingQueryError
from strawberry.schema.schema import validate_document

# The protocol's own words: Apollo Client and urql retry with the full text on this message or code.
NOT_FOUND = ("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
MISMATCH = ("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
UNSUPPORTED = ("Unsupported persisted query version", "PERSISTED_QUERY_NOT_SUPPORTED")


@dataclass(frozen=True, slots=True)
class Verdict:
    document: DocumentNode | None  # None: it did not parse (or no document was found for a hash)
    errors: tuple[GraphQLError, ...] = ()  # why it is refused; none: accepted


def _refused(reason: tuple[str, str]) -> Verdict:
    message, code = reason
    return Verdict(None, (GraphQLError(message, extensions={"code": code}),))


class Documents:
    """`rules`: regapi's validation rules, checked with graphql's own (`specified_rules`) and strawberry's.
    `size` texts (and as many persisted hashes) are kept; 0 keeps none (each request parses and validates)."""

    def __init__(
        self, schema: GraphQLSchema, rules: Sequence[type[ASTValidationRule]], *, max_tokens: int, size: int = 512
    ) -> None:
        self._schema = schema
        self._rules = (*specified_rules, *rules)
        self._max_tokens = max_tokens
        self._size = size
        self.judge = functools.lru_cache(maxsize=size)(self._judge)
        self._persisted: OrderedDict[str, str] = OrderedDict()

    def _judge(self, text: str) -> Verdict:
        try:
            document = parse(text, max_tokens=self._max_tokens)
        except GraphQLError as error:
            return Verdict(None, (error,))
        return Verdict(document, tuple(validate_document(self._schema, document, self._rules)))

    def verdict(self, query: str | None, extensions: Mapping[str, Any] | None) -> Verdict:
        """The verdict on the request's document: its text, or the text a persisted hash stands for."""
        persisted = extensions.get("persistedQuery") if extensions else None
        if persisted is None:
            if not query:
                raise MissingQueryError
            return self.judge(query)
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str) or persisted.get("version") != 1:
            return _refused(UNSUPPORTED)
        if query is None:
            text = self._persisted.get(digest)
            if text is None:
                return _refused(NOT_FOUND)
            self._persisted.move_to_end(digest)
            return self.judge(text)
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            return _refused(MISMATCH)
        verdict = self.judge(query)
        if not verdict.errors and self._size:
            self._persisted[digest] = query
            self._persisted.move_to_end(digest)
            if len(self._persisted) > self._size:
                self._persisted.popitem(last=False)
        return verdict
