"""Schema extensions of our own: error codes, and a validation cache that survives the
app's per-request guard extensions."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from openfdp.api.errors import ApiError


class ErrorCodes(SchemaExtension):
    """Give deliberate errors a machine-readable ``extensions.code`` (FORBIDDEN,
    BAD_REQUEST, ...) next to their message."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or []:
            original = error.original_error
            if isinstance(original, ApiError):
                error.extensions = {**(error.extensions or {}), "code": original.code.upper()}


class ValidationResults:
    """A bounded LRU map (query text, rule names) -> validation errors, one per schema."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[str, tuple[str, ...]], list[GraphQLError]] = OrderedDict()

    def get(self, key: tuple[str, tuple[str, ...]]) -> list[GraphQLError] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[str, tuple[str, ...]], errors: list[GraphQLError]) -> None:
        self._entries[key] = errors
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)


class CachedValidation(SchemaExtension):
    """Validate each distinct document once (validating a deep query costs more than
    running it).

    strawberry's ``ValidationCache`` keys on the rule classes themselves; limiters built
    per request (depth, aliases) make new classes every time, so that cache never hits.
    Here the key is the query text and the rules' names, in a cache owned by one schema,
    whose limiter settings are fixed.
    """

    def __init__(self, *, results: ValidationResults) -> None:
        super().__init__()
        self.results = results

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is not None and ctx.graphql_document is not None and ctx.validation_rules:
            names = tuple(f"{r.__module__}.{r.__qualname__}" for r in ctx.validation_rules)
            key = (ctx.query, names)
            errors = self.results.get(key)
            if errors is None:
                errors = list(
                    validate_document(
                        ctx.schema._schema, ctx.graphql_document, ctx.validation_rules
                    )
                )
                self.results.put(key, errors)
            ctx.pre_execution_errors = errors
        yield
