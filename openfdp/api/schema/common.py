"""Shared pieces of the schema: Relay-style connections, cursors, row conversion, the
ontology registry of node types, and the one helper every resolver uses to read the graph.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Generic, LiteralString, TypeVar, cast

import strawberry
from neo4j.time import Date, DateTime, Time

from openfdp.api.deps import GraphQLContext
from openfdp.api.errors import AccessDenied, BadRequest
from openfdp.store.queries import read_rows

T = TypeVar("T")
Info = strawberry.Info[GraphQLContext, None]

# Argument types shared by the root fields.
First = Annotated[
    int | None,
    strawberry.argument(description="Page size (default and maximum: the server's limit)."),
]
After = Annotated[str | None, strawberry.argument(description="endCursor of the last page.")]
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


@dataclasses.dataclass(frozen=True)
class Page:
    """Where a page starts and how long it is (from ``first`` and ``after``)."""

    skip: int
    limit: int


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, value = text.partition(":")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"cursor {cursor!r} is not one this API issued") from None
    if kind != "o" or offset < 0:
        raise BadRequest(f"cursor {cursor!r} is not one this API issued")
    return offset


def page_of(ctx: GraphQLContext, first: int | None, after: str | None) -> Page:
    """``first`` is capped by settings.api.max_page_size (a larger value is an error)."""
    limit = ctx.page_size(first)
    skip = decode_cursor(after) + 1 if after else 0
    return Page(skip=skip, limit=limit)


def connection(nodes: Sequence[T], total: int, page: Page) -> Connection[T]:
    """A connection over ``nodes`` (already the requested page) of ``total`` results."""
    edges = [Edge(cursor=encode_cursor(page.skip + i), node=n) for i, n in enumerate(nodes)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.skip + len(nodes) < total,
            has_previous_page=page.skip > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


def slice_connection(items: Sequence[T], page: Page) -> Connection[T]:
    """Page a list that was fetched whole (small, bounded lists such as aggregate rows)."""
    return connection(items[page.skip : page.skip + page.limit], len(items), page)


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
    return await read_rows(ctx.driver, ctx.settings.neo4j.database, query, params)


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
