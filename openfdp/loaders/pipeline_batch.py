"""Buffering of mapped records between writes: the rows of the records read since the last
flush, grouped by node and relationship shape and de-duplicated, with the provenance rows
(``SourceRecord``, ``IN_BATCH``, ``DERIVED_FROM``) each record adds. A shared reference node
(coded concept, organisation, role, theatre, ward, product) is buffered by the first record
of a run that mentions it, and again only when a record carries other properties for it.

This runs once per row of every record (a record has ~4 nodes and ~10 relationships with
provenance), so the shape of a row is looked up by its label and key names in a cache
instead of being built, sorted and hashed each time (bench/load_stages.py measures it).
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

Canon = tuple[Any, ...]  # a shape as a plain tuple (hashed in C, unlike the dataclasses)
Ident = tuple[Any, ...]  # the key values of a row, in the shape's key order
#: (label, key names as given) -> (canonical tuple, shape, key names in the shape's order)
_NODE_SHAPES: dict[Canon, tuple[Canon, NodeShape, tuple[str, ...]]] = {}
_REL_SHAPES: dict[Canon, tuple[Canon, RelShape, tuple[str, ...], tuple[str, ...]]] = {}


def _node_shape(label: str, key: Mapping[str, Any]) -> tuple[Canon, NodeShape, tuple[str, ...]]:
    given = (label, *key)
    found = _NODE_SHAPES.get(given)
    if found is None:
        names = tuple(sorted(key))
        found = _NODE_SHAPES[given] = ((label, *names), NodeShape(label, names), names)
    return found


def _rel_shape(
    rtype: str, start: str, start_key: Mapping[str, Any], end: str, end_key: Mapping[str, Any]
) -> tuple[Canon, RelShape, tuple[str, ...], tuple[str, ...]]:
    given = (rtype, start, tuple(start_key), end, tuple(end_key))
    found = _REL_SHAPES.get(given)
    if found is None:
        s_canon, s_shape, s_names = _node_shape(start, start_key)
        e_canon, e_shape, e_names = _node_shape(end, end_key)
        found = _REL_SHAPES[given] = (
            (rtype, s_canon, e_canon), RelShape(rtype, s_shape, e_shape), s_names, e_names,
        )  # fmt: skip
    return found


class RowBatch:
    """Rows of the records buffered since the last flush, grouped and de-duplicated."""

    def __init__(self) -> None:
        self._nodes: dict[Canon, tuple[NodeShape, dict[Ident, Row]]] = {}
        self._rels: dict[Canon, tuple[RelShape, dict[Ident, Row]]] = {}
        self.identities: list[IdentityEvidence] = []
        self.records = 0

    @property
    def nodes(self) -> dict[NodeShape, dict[Ident, Row]]:
        return dict(self._nodes.values())

    @property
    def rels(self) -> dict[RelShape, dict[Ident, Row]]:
        return dict(self._rels.values())

    def node(self, row: NodeRow) -> None:
        self.add_node(row.label, row.key, row.props)

    def add_node(self, label: str, key: Mapping[str, Any], props: Mapping[str, Any]) -> Ident:
        """Buffer one node row; its key values (in its shape's key order) come back."""
        canon, shape, names = _node_shape(label, key)
        ident = tuple(map(key.__getitem__, names))
        if CREATE_ONLY.isdisjoint(props):
            plain, create = dict(props), {}
        else:
            plain = {k: v for k, v in props.items() if k not in CREATE_ONLY}
            create = {k: v for k, v in props.items() if k in CREATE_ONLY}
        group = self._nodes.get(canon)
        if group is None:
            group = self._nodes[canon] = (shape, {})
        have = group[1].get(ident)
        if have is None:
            group[1][ident] = {"key": dict(key), "props": plain, "create": create}
        else:
            have["props"].update(plain)
            have["create"].update(create)
        return ident

    def rel(self, row: RelRow) -> None:
        self.add_rel(
            row.type, row.start_label, row.start_key, row.end_label, row.end_key, props=row.props
        )

    def add_rel(
        self,
        rtype: str,
        start: str,
        start_key: Mapping[str, Any],
        end: str,
        end_key: Mapping[str, Any],
        *,
        props: Mapping[str, Any],
    ) -> None:
        canon, shape, s_names, e_names = _rel_shape(rtype, start, start_key, end, end_key)
        ident = tuple(map(start_key.__getitem__, s_names)) + tuple(
            map(end_key.__getitem__, e_names)
        )
        group = self._rels.get(canon)
        if group is None:
            group = self._rels[canon] = (shape, {})
        have = group[1].get(ident)
        if have is None:
            group[1][ident] = {"start": dict(start_key), "end": dict(end_key), "props": dict(props)}
        elif props:
            have["props"].update(props)

    def grouped(self) -> tuple[dict[NodeShape, list[Row]], dict[RelShape, list[Row]]]:
        return (
            {s: list(g.values()) for s, g in self._nodes.values()},
            {s: list(g.values()) for s, g in self._rels.values()},
        )


def buffer_record(
    buf: RowBatch,
    rec: MappedRecord,
    batch_key: Mapping[str, str],
    seen_refs: set[tuple[str, str, str]],
) -> None:
    src_key = {"source_record_id": f"{rec.source}:{rec.record_key}"}
    buf.add_node(
        "SourceRecord",
        src_key,
        {"source": rec.source, "record_key": rec.record_key, "content_hash": rec.content_hash},
    )
    buf.add_rel("IN_BATCH", "SourceRecord", src_key, "LoadBatch", batch_key, props={})
    for node in rec.nodes:
        if node.label in REFERENCE_LABELS:
            # the same reference with the same properties again adds nothing; with other
            # properties (e.g. a name the first mention lacked) it is written again
            ref = (node.label, repr(sorted(node.key.items())), repr(sorted(node.props.items())))
            if ref in seen_refs:
                continue
            seen_refs.add(ref)
        buf.add_node(node.label, node.key, node.props)
        buf.add_rel("DERIVED_FROM", node.label, node.key, "SourceRecord", src_key, props={})
    for rel in rec.rels:
        buf.add_rel(
            rel.type, rel.start_label, rel.start_key, rel.end_label, rel.end_key, props=rel.props
        )
    buf.identities.extend(rec.identities)
    buf.records += 1
