"""Each GraphQL request observed once, for the operator's metrics: which root field it called, what it
answered, and how long it took.

The answer's kind is only known as a Python value (the client may select neither `__typename` nor
`code`), so a field extension on every root field (`RootField`, one instance for the schema) notes it
on the request's Context; the schema's `execute` (api.schema.execution) reads it when the request is
done (`finish`) and hands the three to the request metric (api.observability.metrics). Nothing is built
per request but what the labels are made of, and each root field's own request scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import FieldExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult, Info
from strawberry.types.base import get_object_definition

from api.observability import audit, metrics, scope
from api.registration import ErrorCode
from api.schema import types as t
from api.schema.context import Context
from api.schema.errors import PublicError

SUCCESS = "success"
ERROR = "error"  # masked (a bug, a failure nobody expected) or a top-level error without a code of ours
INVALID = "invalid"  # the document or its variables did not validate: nothing was resolved
OTHER = "other"  # no root field of the schema (introspection, `__typename`, a document that did not parse)
_CODES = frozenset(code.value for code in ErrorCode)


def answered(value: object) -> str:
    """The outcome a root field's value stands for: a refusal's code, else success."""
    if isinstance(value, t.PolicyDenied | t.RegistrationError):
        return value.code.value
    return SUCCESS


def raised(error: BaseException) -> str:
    """The outcome of a root field that raised: a deliberate error's code (registrationForm's, a query's
    refusal), else error."""
    if isinstance(error, PublicError) and error.extensions is not None:
        code = error.extensions.get("code")
        if isinstance(code, str) and code in _CODES:
            return code
    return ERROR


def _note(info: Info[Context, None], outcome: str) -> None:
    context = info.context
    if context.operation is None:  # several root fields in one document: the first to answer names it
        context.operation = info.field_name
        context.outcome = outcome


class RootField(FieldExtension):
    """Around each root field: a request scope of its own (api.observability.scope: the tenant, actor and
    audit event of one field are never another's, and a Cognito call is charged to its own tenant's quota
    share), its allowed decision's audit event written with its outcome, and the outcome noted for the
    request metric."""

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info[Context, None], **kwargs: Any) -> Any:
        with scope.field():
            try:
                value = next_(source, info, **kwargs)
            except Exception as error:
                _raised(info, error)
                raise
            _answered(info, value)
            return value

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info[Context, None], **kwargs: Any
    ) -> Any:
        with scope.field():
            try:
                value = await next_(source, info, **kwargs)
            except Exception as error:
                _raised(info, error)
                raise
            _answered(info, value)
            return value


def _raised(info: Info[Context, None], error: Exception) -> None:
    _note(info, raised(error))
    audit.finish(failed=not isinstance(error, PublicError))  # a PublicError is a refusal, audited as such


def _answered(info: Info[Context, None], value: object) -> None:
    _note(info, answered(value))
    audit.finish()


def attach(*root_types: type) -> frozenset[str]:
    """Put RootField on every field of the root types (once, at import); their GraphQL names."""
    extension = RootField()
    names = StrawberryConfig().name_converter
    fields = [field for root in root_types for field in get_object_definition(root, strict=True).fields]
    for field in fields:
        field.extensions.append(extension)
    return frozenset(names.get_graphql_name(field) for field in fields)


def root_field(document: DocumentNode | None, operation_name: str | None, known: frozenset[str]) -> str:
    """The first root field the document's operation selects, if it is one of `known`."""
    if document is None:
        return OTHER
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name is not None and definition.name.value == operation_name)
        ):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode) and selection.name.value != "__typename":
                    return selection.name.value if selection.name.value in known else OTHER
            break
    return OTHER


def note_invalid(
    context: object,
    document: DocumentNode | None,
    operation_name: str | None,
    errors: Iterable[GraphQLError],
    known: frozenset[str],
) -> None:
    """A document refused before anything resolved (no error has a path) is invalid, named by its root
    field when it parsed; called when errors are logged, so the happy path never reads the document."""
    if isinstance(context, Context) and context.operation is None and all(e.path is None for e in errors):
        context.operation = root_field(document, operation_name, known)
        context.outcome = INVALID


def refused(seconds: float) -> None:
    """A request strawberry refused before executing (no document, a mutation sent by GET)."""
    metrics.request(OTHER, INVALID, seconds)


def finish(context: object, result: ExecutionResult, seconds: float) -> None:
    if not isinstance(context, Context):
        return
    operation, outcome = context.operation or OTHER, context.outcome or SUCCESS
    if result.errors and outcome == SUCCESS:
        # Resolved, but something failed further down (a masked error inside a success), or nothing
        # resolved at all and the error hook did not say why.
        outcome = ERROR
    metrics.request(operation, outcome, seconds)
