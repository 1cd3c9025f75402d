"""The loading benchmark's ceiling: the fastest plain Cypher we could write for the same graph.

Every distinct node of the load is CREATEd once (with its superclass labels, properties set
in one map), key-only nodes for relationship ends that no record writes are CREATEd too, and
every distinct relationship is CREATEd once between ends found by the element ids their node
statements returned (one transaction per batch, no MERGE, no key lookups, no checks, no
metadata). It writes the same nodes, labels, properties and relationships as the pipeline,
so the ratio pipeline/ceiling is what idempotence, validation and provenance cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from neo4j import Driver, ManagedTransaction
from openfdp.ontology.model import Ontology
from openfdp.store.write_cypher import BARE_NODE_CREATE, BARE_REL_CREATE, name
from openfdp.store.writer import NodeShape, RelShape, Row, key_root, labels_of

Ident = tuple[str, tuple[Any, ...]]  # (label that holds the key, key values)


class BareWriter:
    """Writes batches of grouped rows with plain CREATE; remembers what it created."""

    def __init__(self, driver: Driver, ontology: Ontology) -> None:
        self._driver, self._ontology = driver, ontology
        self.ids: dict[Ident, str] = {}
        self._rels: set[tuple[str, str, str]] = set()
        self._root: dict[NodeShape, str] = {}

    def _ident(self, shape: NodeShape, key: Mapping[str, Any]) -> Ident:
        root = self._root.get(shape)
        if root is None:  # the highest class with this key: NHSTrust and Organisation are one
            root = self._root[shape] = key_root(self._ontology, shape)
        return (root, tuple(key[k] for k in shape.key))

    def write(
        self, nodes: Mapping[NodeShape, Sequence[Row]], rels: Mapping[RelShape, Sequence[Row]]
    ) -> None:
        creates: dict[tuple[str, ...], list[tuple[Ident, dict[str, Any]]]] = {}
        for shape, rows in nodes.items():
            labels = labels_of(self._ontology, shape.label)
            for r in rows:
                ident = self._ident(shape, r["key"])
                if ident not in self.ids:
                    self.ids[ident] = ""
                    props = {**r["key"], **r.get("create", {}), **r["props"]}
                    creates.setdefault(labels, []).append((ident, props))
        for rshape, rows in rels.items():
            for side in (rshape.start, rshape.end):
                labels = labels_of(self._ontology, side.label)
                for r in rows:
                    key = r["start"] if side is rshape.start else r["end"]
                    ident = self._ident(side, key)
                    if ident not in self.ids:
                        self.ids[ident] = ""
                        creates.setdefault(labels, []).append((ident, dict(key)))

        def work(tx: ManagedTransaction) -> None:
            for labels, items in creates.items():
                text = BARE_NODE_CREATE.format(label=":".join(name(x) for x in labels))
                payload = [{k: v for k, v in p.items() if v is not None} for _, p in items]
                got = tx.run(text, rows=payload).single(strict=True)["ids"]
                for (ident, _), node_id in zip(items, got, strict=True):
                    self.ids[ident] = node_id
            for rshape, rows in rels.items():
                payload = []
                for r in rows:
                    a = self.ids[self._ident(rshape.start, r["start"])]
                    b = self.ids[self._ident(rshape.end, r["end"])]
                    if (rshape.type, a, b) not in self._rels:
                        self._rels.add((rshape.type, a, b))
                        payload.append([a, b, r["props"] or {}])
                text = BARE_REL_CREATE.format(type=name(rshape.type))
                tx.run(text, rows=payload).consume()

        with self._driver.session() as session:
            session.execute_write(work)
