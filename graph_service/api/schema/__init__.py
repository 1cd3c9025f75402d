"""The GraphQL schema of openfdp (strawberry).

``build_schema(settings)`` is what the app serves (the app adds its guards: depth and alias
limits, error masking, audit). ``export_sdl()`` prints the schema's SDL, snapshot-tested in
tests/snapshots/api.graphql. Node types are checked against the ontology's SDL
(``ontology.graphql_sdl``) by tests/api/test_schema_ontology.py, so a property renamed or
retyped in the ontology fails a test instead of silently drifting.
"""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from strawberry.extensions import SchemaExtension

from graph_service.api.errors import ApiError
from graph_service.api.schema.query import Query
from graph_service.settings import Settings


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


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema. Limits that depend on settings (page size) are read per request from
    the context, so one schema serves any settings."""
    del settings
    return strawberry.Schema(query=Query, extensions=[ErrorCodes])


def export_sdl() -> str:
    """The schema's SDL, as served (without the app's extensions, which add no types)."""
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "export_sdl"]
