"""What the resource and supplier trust-extract mappers share: a mapper guarded so that a
:class:`~openfdp.loaders.mapping.trust_csv_common.FieldProblem` in a line becomes a Rejection
naming the field, the MappedRecord of a line (its source, position and hash), and node
properties without the empty ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openfdp.loaders.mapping.trust_csv_common import FieldProblem, Line
from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, Outcome, Rejection, RelRow


def clean(**props: Any) -> dict[str, Any]:
    """The properties that have a value."""
    return {k: v for k, v in props.items() if v is not None}


def guard(fn: Callable[[Line, MapContext], MappedRecord]) -> Callable[[Line, MapContext], Outcome]:
    """The mapper ``fn`` with a problem in a field returned as a Rejection, not raised."""

    def mapper(line: Line, ctx: MapContext) -> Outcome:
        try:
            return fn(line, ctx)
        except FieldProblem as exc:
            return Rejection(line.source, line.position, exc.field, exc.reason)

    mapper.__name__ = fn.__name__
    mapper.__doc__ = fn.__doc__
    return mapper


def record(line: Line, key: str, nodes: list[NodeRow], rels: list[RelRow]) -> MappedRecord:
    """The mapped record of ``line`` under the record key ``key``."""
    return MappedRecord(line.source, line.position, key, line.hash(), nodes, rels)
