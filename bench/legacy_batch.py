"""The buffering as it was before it cached shapes (kept for bench/load_stages.py to measure
against, side by side).

Buffering of mapped records between writes: the rows of the records read since the last
flush, grouped by node and relationship shape and de-duplicated, with the provenance rows
(``SourceRecord``, ``IN_BATCH``, ``DERIVED_FROM``) each record adds. A shared reference node
(coded concept, organisation, role, theatre, ward, product) is buffered by the first record
of a run that mentions it, and again only when a record carries other properties for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openfdp.loaders.model import IdentityEvidence, MappedRecord, NodeRow, RelRow
from openfdp.store.writer import NodeShape, RelShape, Row

REFERENCE_LABELS = frozenset(
    {
        "CodedConcept", "Organisation", "NHSTrust", "Site", "ICB", "SubICBLocation", "PCN",
        "GPPractice", "Supplier", "Role", "Theatre", "Ward", "Product",
    }
)  # fmt: skip
#: properties set only when a node is created (linkage owns them afterwards)
CREATE_ONLY = frozenset({"cluster_id"})


class RowBatch:
    """Rows of the records buffered since the last flush, grouped and de-duplicated."""

    def __init__(self) -> None:
        self.nodes: dict[NodeShape, dict[tuple[Any, ...], Row]] = {}
        self.rels: dict[RelShape, dict[tuple[Any, ...], Row]] = {}
        self.identities: list[IdentityEvidence] = []
        self.records = 0

    def node(self, row: NodeRow) -> None:
        shape = NodeShape(row.label, tuple(sorted(row.key)))
        ident = tuple(row.key[k] for k in shape.key)
        props = {k: v for k, v in row.props.items() if k not in CREATE_ONLY}
        create = {k: v for k, v in row.props.items() if k in CREATE_ONLY}
        group = self.nodes.setdefault(shape, {})
        if ident in group:
            group[ident]["props"].update(props)
            group[ident]["create"].update(create)
        else:
            group[ident] = {"key": dict(row.key), "props": props, "create": create}

    def rel(self, row: RelRow) -> None:
        start = NodeShape(row.start_label, tuple(sorted(row.start_key)))
        end = NodeShape(row.end_label, tuple(sorted(row.end_key)))
        shape = RelShape(row.type, start, end)
        ident = tuple(row.start_key[k] for k in start.key) + tuple(row.end_key[k] for k in end.key)
        group = self.rels.setdefault(shape, {})
        if ident in group:
            group[ident]["props"].update(row.props)
        else:
            group[ident] = {
                "start": dict(row.start_key),
                "end": dict(row.end_key),
                "props": dict(row.props),
            }

    def grouped(self) -> tuple[dict[NodeShape, list[Row]], dict[RelShape, list[Row]]]:
        return (
            {s: list(g.values()) for s, g in self.nodes.items()},
            {s: list(g.values()) for s, g in self.rels.items()},
        )


def buffer_record(
    buf: RowBatch,
    rec: MappedRecord,
    batch_key: Mapping[str, str],
    seen_refs: set[tuple[str, str, str]],
) -> None:
    src_key = {"source_record_id": f"{rec.source}:{rec.record_key}"}
    buf.node(
        NodeRow(
            "SourceRecord",
            src_key,
            {"source": rec.source, "record_key": rec.record_key, "content_hash": rec.content_hash},
        )
    )
    buf.rel(RelRow("IN_BATCH", "SourceRecord", src_key, "LoadBatch", dict(batch_key)))
    for node in rec.nodes:
        if node.label in REFERENCE_LABELS:
            # the same reference with the same properties again adds nothing; with other
            # properties (e.g. a name the first mention lacked) it is written again
            ref = (node.label, repr(sorted(node.key.items())), repr(sorted(node.props.items())))
            if ref in seen_refs:
                continue
            seen_refs.add(ref)
        buf.node(node)
        buf.rel(RelRow("DERIVED_FROM", node.label, node.key, "SourceRecord", src_key))
    for rel in rec.rels:
        buf.rel(rel)
    buf.identities.extend(rec.identities)
    buf.records += 1
