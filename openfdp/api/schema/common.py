"""Shared pieces of the schema: Relay-style connections (keyset cursors), row conversion, the
ontology registry of node types, and the one helper every resolver uses to read the graph.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Generic, LiteralString, TypeVar, cast

import strawberry
from neo4j.time import Date, DateTime, Time

from openfdp.api.deps import GraphQLContext
from openfdp.api.errors import AccessDenied
from openfdp.api.schema.paging import Page, encode_cursor, page, rest_after
from openfdp.store.queries import read_rows

T = TypeVar("T")
Info = strawberry.Info[GraphQLContext, None]

# Argument types shared by the root fields.
First = Annotated[
    int | None,
    strawberry.argument(description="Page size (default and maximum: the server's limit)."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="endCursor of the last page (a keyset cursor: rows added or removed "
        "before it do not shift the next page)."
    ),
]
AsOf = Annotated[
    date | None, strawberry.argument(description="Measure waits to this date (default: today).")
]
From = Annotated[date, strawberry.argument(name="from", description="First day.")]
To = Annotated[date, strawberry.argument(description="Last day (inclusive).")]

# strawberry type -> (ontology class, fields that are derived rather than graph properties)
ONTOLOGY_TYPES: dict[type, tuple[str, frozenset[str]]] = {}


def backed_by(ontology_class: str, *, derived: Sequence[str] = ()) -> Callable[[type[T]], type[T]]:
    """Record that a GraphQL type shows nodes of an ontology class.

    Every field of the type that is not listed in ``derived`` must be a property of that
    class with a compatible type (checked by tests/api/test_schema_ontology.py).
    """

    def register(cls: type[T]) -> type[T]:
        ONTOLOGY_TYPES[cls] = (ontology_class, frozenset(derived))
        return cls

    return register


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of results (Relay cursor connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Results matching the filter, all pages.")

    @strawberry.field
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


def page_of(ctx: GraphQLContext, first: int | None, after: str | None) -> Page:
    """``first`` is capped by settings.api.max_page_size (a larger value is an error);
    ``after`` is a keyset cursor (graph_service/api/schema/paging.py)."""
    return page(ctx.page_size(first), after)


def connection(
    nodes: Sequence[T],
    keys: Sequence[Sequence[Any]],
    *,
    kind: str,
    total: int,
    page: Page,
    has_next: bool,
) -> Connection[T]:
    """A connection over ``nodes`` (the requested page) with their sort ``keys``."""
    edges = [Edge(cursor=encode_cursor(kind, k), node=n) for n, k in zip(nodes, keys, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=page.cursor_key is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def slice_connection(
    items: Sequence[T], page: Page, *, kind: str, key: Callable[[T], Sequence[Any]]
) -> Connection[T]:
    """Page a list that was fetched whole (small, bounded lists such as aggregate rows);
    ``key`` gives each row's identity in the list's order (its cursor)."""
    after = page.after(kind)
    start = 0 if after is None else rest_after(items, key, after)
    chunk = items[start : start + page.limit]
    return connection(
        chunk,
        [key(i) for i in chunk],
        kind=kind,
        total=len(items),
        page=page,
        has_next=start + len(chunk) < len(items),
    )


def native(value: Any) -> Any:
    """Neo4j temporal values (also inside lists and maps) as Python ones."""
    if isinstance(value, Date | DateTime | Time):
        return value.to_native()
    if isinstance(value, list):
        return [native(v) for v in value]
    if isinstance(value, dict):
        return {k: native(v) for k, v in value.items()}
    return value


@functools.cache
def _init_fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.init)


def build(cls: type[T], row: dict[str, Any], **extra: Any) -> T:
    """An instance of a strawberry type from a row (keys not on the type are ignored)."""
    names = _init_fields(cast(type, cls))
    values = {k: native(v) for k, v in row.items() if k in names}
    values.update(extra)
    for name in names - values.keys():
        values[name] = None
    return cls(**values)


async def fetch(info: Info, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
    """Run one read query for a resolver, counting the round trip on the context."""
    ctx = info.context
    ctx.count_round_trip()
    return await read_rows(
        ctx.driver, ctx.settings.neo4j.database, query, params, bookmarks=ctx.read_after
    )


def scope_params(ctx: GraphQLContext) -> dict[str, Any]:
    """Record-level scope as Cypher parameters; refuses callers with no record-level access."""
    scope = ctx.scope
    if scope.anonymous:
        raise AccessDenied("record-level data needs a bearer token")
    if not scope.record_level:
        raise AccessDenied(
            "record-level data is not available to this role and purpose; "
            "use the aggregate views (waitingList) instead"
        )
    return {
        "providers": sorted(scope.providers),
        "exclude_opted_out": scope.exclude_opted_out,
    }


def operational_providers(ctx: GraphQLContext) -> list[str]:
    """Trusts whose operational (non-personal) data the caller may read: any trust the
    caller reads records or aggregates of."""
    scope = ctx.scope
    if scope.anonymous:
        raise AccessDenied("resource views need a bearer token")
    providers = scope.providers | scope.aggregate_providers
    if not providers:
        raise AccessDenied("this role and purpose give access to no trust's data")
    return sorted(providers)


def today() -> date:
    return date.today()
