"""The GraphQL schema of openfdp (strawberry).

``build_schema(settings)`` is what the app serves (the app adds its guards: depth and alias
limits, error masking, audit). ``export_sdl()`` prints the schema's SDL, snapshot-tested in
tests/snapshots/api.graphql. Node types are checked against the ontology's SDL
(``openfdp.ontology.graphql_sdl``) by tests/api/test_schema_ontology.py, so a property renamed or
retyped in the ontology fails a test instead of silently drifting.
"""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache

from openfdp.api.schema.extensions import CachedValidation, ErrorCodes, ValidationResults
from openfdp.api.schema.query import Query
from openfdp.settings import Settings

CACHED_DOCUMENTS = 256


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema. Limits that depend on settings (page size) are read per request from
    the context, so one schema serves any settings."""
    del settings
    results = ValidationResults(CACHED_DOCUMENTS)
    return strawberry.Schema(
        query=Query,
        extensions=[
            ErrorCodes,
            # parsing and validating a deep query costs more than running it: cache both
            # per document (clients repeat the same operations with new variables)
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: CachedValidation(results=results),
        ],
    )


def export_sdl() -> str:
    """The schema's SDL, as served (without the app's extensions, which add no types)."""
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "export_sdl"]
