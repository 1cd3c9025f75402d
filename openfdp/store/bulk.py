"""Bulk backfill: the rows of a load collected in memory and written as neo4j-admin CSV files.

:class:`BulkGraph` takes the same grouped rows as :class:`~openfdp.store.writer.GraphWriter`
(so the pipeline's validation, pseudonymisation, mapping and provenance are unchanged) and
applies them with the semantics of the writer's statements, in the same order:

- a node row ``MERGE (n:Label {key}) ON CREATE SET n += row.create SET n += row.props``
  with the label's superclass labels; ``SET +=`` with a null value removes the property;
- a relationship end the batch does not write itself is a key-only node (created once);
- a relationship row ``MERGE (a)-[r:TYPE]->(b) SET r += row.props``.

A node's identity is its key on the highest class that has that key (the uniqueness
constraint every subclass shares), so ``NHSTrust {ods_code}`` and ``Organisation {ods_code}``
are one node, as MERGE on the constraint-backed labels makes them.

:meth:`BulkGraph.write_csv` then writes one node file per (labels, property types) and one
relationship file per (type, property types), with typed headers, for
``neo4j-admin database import full`` (see :mod:`openfdp.store.bulk_import`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openfdp.ontology.model import Ontology
from openfdp.store.errors import StoreError
from openfdp.store.writer import NodeShape, RelShape, Row, WriteStats, labels_of

ARRAY_DELIMITER = "\x1f"  # unit separator: never part of a mapped value (checked on write)

NodeId = tuple[str, tuple[Any, ...]]  # (label holding the key constraint, key values)


class BulkValueError(StoreError):
    """A value the bulk files cannot carry exactly (the message names the property only)."""


@dataclass
class _Node:
    labels: set[str]
    props: dict[str, Any] = field(default_factory=dict)


@dataclass
class BulkFiles:
    """The files written for one import, with their row counts.

    ``empty_lists`` holds the node properties whose value is an empty list, which the import
    format cannot express (an empty field means "no property"): (label, key names, property)
    -> key values of the nodes; :func:`openfdp.store.bulk_import.set_empty_lists` sets them
    after the import.
    """

    nodes: list[Path]
    relationships: list[Path]
    node_count: int
    relationship_count: int
    empty_lists: dict[tuple[str, tuple[str, ...], str], list[tuple[Any, ...]]] = field(
        default_factory=dict
    )


def _type_of(value: Any) -> str:
    """The neo4j-admin header type of one property value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is not None else "localdatetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time" if value.tzinfo is not None else "localtime"
    if isinstance(value, list | tuple):
        if not value:
            raise BulkValueError("an empty list on a relationship has no import form")
        inner = {_type_of(v) for v in value}
        if len(inner) != 1 or next(iter(inner)).endswith("[]"):
            raise BulkValueError("a list property must hold values of one plain type")
        return f"{next(iter(inner))}[]"
    raise BulkValueError(f"a property value of type {type(value).__name__} has no import type")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        parts = [_text(v) for v in value]
        if any(ARRAY_DELIMITER in p for p in parts):
            raise BulkValueError("a list element holds the array delimiter")
        return ARRAY_DELIMITER.join(parts)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _signature(props: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, _type_of(v)) for k, v in props.items()))


class BulkGraph:
    """Collects the rows of one or more loads; a drop-in for ``GraphWriter.write``."""

    def __init__(self, ontology: Ontology) -> None:
        self._ontology = ontology
        self._nodes: dict[NodeId, _Node] = {}
        self._rels: dict[tuple[str, NodeId, NodeId], dict[str, Any]] = {}
        self._root: dict[NodeShape, str] = {}
        self._key_names: dict[str, tuple[str, ...]] = {}

    # -- identity ------------------------------------------------------------------------
    def _root_label(self, shape: NodeShape) -> str:
        if shape not in self._root:
            chain = labels_of(self._ontology, shape.label)
            keyed = [
                lbl
                for lbl in chain
                if lbl in self._ontology.node_types
                and tuple(sorted(self._ontology.node_types[lbl].key)) == shape.key
            ]
            self._root[shape] = keyed[-1] if keyed else shape.label
        return self._root[shape]

    def _id(self, shape: NodeShape, key: Mapping[str, Any]) -> NodeId:
        root = self._root_label(shape)
        self._key_names.setdefault(root, shape.key)
        return (root, tuple(key[k] for k in shape.key))

    # -- the writer's interface ------------------------------------------------------------
    def check_schema(self, shapes: Iterable[NodeShape]) -> None:
        """Nothing to check: the constraints are created after the import."""
        for shape in shapes:
            labels_of(self._ontology, shape.label)  # an unknown label fails here as in the writer

    def write(
        self,
        nodes: Mapping[NodeShape, Sequence[Row]],
        rels: Mapping[RelShape, Sequence[Row]],
        *,
        batch: str,
    ) -> WriteStats:
        del batch  # the batch is recorded by the LoadBatch rows themselves
        for shape, rows in nodes.items():
            labels = set(labels_of(self._ontology, shape.label))
            for row in rows:
                self._merge_node(shape, row["key"], labels, row.get("create", {}), row["props"])
        for rshape, rows in rels.items():
            for side in (rshape.start, rshape.end):
                labels = set(labels_of(self._ontology, side.label))
                for row in rows:
                    end = row["start"] if side is rshape.start else row["end"]
                    nid = self._id(side, end)
                    if nid not in self._nodes:
                        self._nodes[nid] = _Node(labels=set(labels), props=dict(end))
        for rshape, rows in rels.items():
            for row in rows:
                rid = (
                    rshape.type,
                    self._id(rshape.start, row["start"]),
                    self._id(rshape.end, row["end"]),
                )
                props = self._rels.setdefault(rid, {})
                _set_all(props, row.get("props") or {})
        return WriteStats(
            statements=len(nodes) + len(rels),
            node_rows=sum(len(r) for r in nodes.values()),
            rel_rows=sum(len(r) for r in rels.values()),
        )

    def _merge_node(
        self,
        shape: NodeShape,
        key: Mapping[str, Any],
        labels: set[str],
        create: Mapping[str, Any],
        props: Mapping[str, Any],
    ) -> None:
        nid = self._id(shape, key)
        node = self._nodes.get(nid)
        if node is None:
            node = self._nodes[nid] = _Node(labels=set(labels), props=dict(key))
            _set_all(node.props, create)
        else:
            node.labels |= labels
        _set_all(node.props, props)

    # -- output --------------------------------------------------------------------------
    @property
    def node_count(self) -> int:
        return len(self._nodes)

    @property
    def relationship_count(self) -> int:
        return len(self._rels)

    def write_csv(self, folder: Path) -> BulkFiles:
        """Write the import files into `folder` (created; existing files are replaced)."""
        folder.mkdir(parents=True, exist_ok=True)
        ids: dict[NodeId, int] = {}
        groups: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], list[NodeId]] = {}
        empty: dict[tuple[str, tuple[str, ...], str], list[tuple[Any, ...]]] = {}
        for nid, node in self._nodes.items():
            ids[nid] = len(ids)
            for k in [k for k, v in node.props.items() if isinstance(v, list | tuple) and not v]:
                del node.props[k]
                empty.setdefault((nid[0], self._key_names[nid[0]], k), []).append(nid[1])
            groups.setdefault((tuple(sorted(node.labels)), _signature(node.props)), []).append(nid)
        node_files = []
        for n, ((labels, sig), members) in enumerate(sorted(groups.items(), key=_first)):
            path = folder / f"nodes-{n:03d}.csv"
            header = [":ID", ":LABEL", *(f"{k}:{t}" for k, t in sig)]
            with path.open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(header)
                label_text = ARRAY_DELIMITER.join(labels)
                for nid in members:
                    props = self._nodes[nid].props
                    out.writerow([ids[nid], label_text, *(_text(props[k]) for k, _ in sig)])
            node_files.append(path)
        rel_groups: dict[
            tuple[str, tuple[tuple[str, str], ...]], list[tuple[NodeId, NodeId, dict[str, Any]]]
        ] = {}
        for (rtype, a, b), props in self._rels.items():
            rel_groups.setdefault((rtype, _signature(props)), []).append((a, b, props))
        rel_files = []
        for n, ((rtype, sig), rel_rows) in enumerate(sorted(rel_groups.items(), key=_first)):
            path = folder / f"relationships-{n:03d}.csv"
            header = [":START_ID", ":END_ID", ":TYPE", *(f"{k}:{t}" for k, t in sig)]
            with path.open("w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(header)
                for a, b, props in rel_rows:
                    out.writerow([ids[a], ids[b], rtype, *(_text(props[k]) for k, _ in sig)])
            rel_files.append(path)
        return BulkFiles(node_files, rel_files, len(self._nodes), len(self._rels), empty)


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


def _set_all(target: dict[str, Any], values: Mapping[str, Any]) -> None:
    """``SET n += $values``: null removes the property."""
    for k, v in values.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = v
