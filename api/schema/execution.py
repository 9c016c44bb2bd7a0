"""How the schema answers a request: the document's verdict (api.schema.documents), then graphql-core.

strawberry's own `Schema.execute` runs its extensions' hooks around each stage of every request (its
token limiter, validation rules, parser and validation caches, error masking): about 90 µs of a 380 µs
registrationForm request, for work whose outcome depends on the document alone. Here the limits are
checked once per document text, execution is graphql-core's with strawberry's execution context (its
resolvers, `Info`, argument conversion: what strawberry itself calls), and the errors are logged and
made public in one step. The steps and their order are strawberry's, as is every refusal the view turns
into a 400 (no document, an unknown operation name, a mutation sent by GET): parse, operation type,
validation, execution.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from inspect import isawaitable
from typing import Any, cast

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, execute
from strawberry.exceptions import MissingQueryError
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_first_operation, get_operation_type

from api.schema import observed
from api.schema.documents import Documents
from api.schema.errors import log_errors, public

DEFAULT_ALLOWED = frozenset(OperationType)


class Schema(strawberry.Schema):
    """`rules`: validation rules beyond graphql's and strawberry's own; `max_tokens`: the parser's cap;
    `documents`: how many document texts keep their verdict (0: none, for comparison in bench/)."""

    def __init__(
        self,
        *args: Any,
        rules: Sequence[type[ASTValidationRule]] = (),
        max_tokens: int,
        hide_suggestions: bool = False,
        root_fields: frozenset[str] = frozenset(),
        documents: int = 512,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.documents = Documents(self._schema, rules, max_tokens=max_tokens, size=documents)
        self._hide_suggestions = hide_suggestions
        self._root_fields = root_fields

    async def execute(  # noqa: PLR0917 (strawberry's signature)
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Every answer is counted in the request metric (api.schema.observed)."""
        started = time.perf_counter()
        try:
            result = await self._answer(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                DEFAULT_ALLOWED if allowed_operation_types is None else frozenset(allowed_operation_types),
                operation_extensions,
            )
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            observed.refused(time.perf_counter() - started)  # the view answers 400
            raise
        except Exception as error:  # a bug: answered as strawberry answers it, masked ("Unexpected error.")
            unexpected = [GraphQLError(str(error), original_error=error)]
            log_errors(unexpected)
            result = ExecutionResult(data=None, errors=public(unexpected, hide_suggestions=self._hide_suggestions))
        observed.finish(context_value, result, time.perf_counter() - started)
        return result

    async def _answer(  # noqa: PLR0917
        self,
        query: str | None,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_name: str | None,
        allowed: frozenset[OperationType],
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        verdict = self.documents.verdict(query, extensions)
        document = verdict.document
        if document is None:
            return self._refused(list(verdict.errors), context, None, operation_name)
        if operation_name is None and (first := get_first_operation(document)) is not None and first.name:
            operation_name = first.name.value  # strawberry runs the first operation when none is named
        try:
            operation_type = get_operation_type(document, operation_name)
        except RuntimeError as error:
            raise CannotGetOperationTypeError(operation_name) from error
        if operation_type not in allowed:
            raise InvalidOperationTypeError(operation_type)
        if verdict.errors:
            return self._refused(list(verdict.errors), context, document, operation_name)
        result = execute(
            self._schema,
            document,
            root_value,
            context,
            variables,
            operation_name,
            executor_class=self.execution_context_class,
            is_awaitable=cast(Any, optimized_is_awaitable),  # strawberry's faster check, typed as a plain bool
            operation_extensions=extensions,
        )
        if isawaitable(result):
            result = await result
        errors = result.errors
        if errors:
            self._log(errors, context, document, operation_name)
            errors = public(errors, hide_suggestions=self._hide_suggestions)
        return ExecutionResult(data=result.data, errors=errors)

    def _refused(
        self, errors: list[GraphQLError], context: Any, document: DocumentNode | None, operation_name: str | None
    ) -> ExecutionResult:
        """A document refused before anything resolved: it did not parse or validate."""
        self._log(errors, context, document, operation_name)
        return ExecutionResult(data=None, errors=public(errors, hide_suggestions=self._hide_suggestions))

    def _log(
        self, errors: list[GraphQLError], context: Any, document: DocumentNode | None, operation_name: str | None
    ) -> None:
        log_errors(errors)
        observed.note_invalid(context, document, operation_name, errors, self._root_fields)
