"""The writer as it was before loads wrote relationships by element ids (kept for
bench/load_stages.py to measure against, side by side).

Batched, idempotent writes of ontology nodes and relationships.

Rows arrive grouped by shape: nodes per (label, key property names), relationships per
(type, start label and key names, end label and key names). Each group is one
``UNWIND $rows AS row MERGE ...`` statement; all groups of one batch run in one write
transaction that carries metadata (job, source, batch) for the Neo4j query log.

Labels, relationship types and property names are interpolated into the Cypher templates
below only after they are checked against the compiled ontology, and always backtick-quoted;
values are always ``$params``. Nothing is written before the ontology's uniqueness
constraints exist (``openfdp ontology apply``), so every MERGE is index-backed.

Relationship end points that a batch does not write itself are first MERGEd key-only (with
their superclass labels): a reference to a node whose own record has not been loaded yet
creates a key-only node that its record completes later (feeds can be loaded in any order and
no relationship is dropped); the relationship statements then MATCH both ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from neo4j import Driver, ManagedTransaction, Query, unit_of_work
from openfdp.ontology.model import Ontology
from openfdp.store.errors import ConnectionFailed, StoreError

NODE_MERGE = (
    "UNWIND $rows AS row MERGE (n:{label} {{{key}}}) "
    "ON CREATE SET n += row.create SET n += row.props{extra}"
)
NODE_STUB_MERGE = "UNWIND $rows AS row MERGE (n:{label} {{{key}}}){extra}"
REL_MERGE = (
    "UNWIND $rows AS row "
    "MATCH (a:{start} {{{start_key}}}) MATCH (b:{end} {{{end_key}}}) "
    "MERGE (a)-[r:{type}]->(b){set_props}"
)
SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD type, entityType, labelsOrTypes, properties"
# The ceiling for benchmarks: the same rows created with no MERGE, no checks, no provenance.
BARE_NODE_CREATE = "UNWIND $rows AS row CREATE (n:{label}) SET n = row.props"
BARE_REL_CREATE = (
    "UNWIND $rows AS row MATCH (a:{start} {{{start_key}}}) MATCH (b:{end} {{{end_key}}}) "
    "CREATE (a)-[r:{type}]->(b) SET r = row.props"
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNIQUE_TYPES = frozenset({"UNIQUENESS", "NODE_KEY", "NODE_PROPERTY_UNIQUENESS"})


class SchemaNotApplied(StoreError):
    """The ontology's constraints are not in the database yet."""


class WriteFailed(StoreError):
    """Neo4j refused a write (the message carries its status code, never row values)."""


class UnknownName(StoreError):
    """A label, relationship type or property name that the ontology does not define."""


@dataclass(frozen=True, slots=True)
class NodeShape:
    label: str
    key: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RelShape:
    type: str
    start: NodeShape
    end: NodeShape


#: one node row: {"key": {...}, "props": {...}, "create": {...}} (create = set on create only)
Row = dict[str, Any]


@dataclass
class WriteStats:
    statements: int = 0
    node_rows: int = 0
    rel_rows: int = 0


def _q(name: str) -> str:
    if not _NAME.match(name):
        raise UnknownName(f"not a valid ontology name: {name!r}")
    return f"`{name}`"


def labels_of(ontology: Ontology, label: str) -> tuple[str, ...]:
    """The label itself first, then its superclass labels, as the ontology defines them."""
    nt = ontology.node_types.get(label)
    if nt is None:
        raise UnknownName(f"label {label!r} is not in the ontology")
    extra = [str(x) for x in (nt.labels or ()) if str(x) != label]
    return (label, *extra)


def existing_unique_keys(driver: Driver, database: str) -> set[tuple[str, frozenset[str]]]:
    try:
        records, _, _ = driver.execute_query(SHOW_CONSTRAINTS, database_=database)
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        raise ConnectionFailed("Neo4j does not answer; start it with `openfdp db start`") from exc
    found: set[tuple[str, frozenset[str]]] = set()
    for rec in records:
        if rec["entityType"] == "NODE" and rec["type"] in _UNIQUE_TYPES:
            for lbl in rec["labelsOrTypes"] or []:
                found.add((lbl, frozenset(rec["properties"] or [])))
    return found


class GraphWriter:
    """Writes grouped rows for one load job. Build one per job; not thread-safe."""

    def __init__(
        self,
        driver: Driver,
        ontology: Ontology,
        *,
        database: str = "neo4j",
        metadata: Mapping[str, str] | None = None,
        timeout_s: float = 300.0,
    ) -> None:
        self._driver = driver
        self._ontology = ontology
        self._database = database
        self._metadata = dict(metadata or {})
        self._timeout = timeout_s
        self._constraints: set[tuple[str, frozenset[str]]] | None = None
        self._checked: set[NodeShape] = set()
        self._text: dict[Any, str] = {}

    def _require_constraint(self, shape: NodeShape) -> None:
        if shape in self._checked:
            return
        if self._constraints is None:
            self._constraints = existing_unique_keys(self._driver, self._database)
        keys = frozenset(shape.key)
        if not any(
            (lbl, keys) in self._constraints for lbl in labels_of(self._ontology, shape.label)
        ):
            raise SchemaNotApplied(
                f"the ontology constraints are not in the database (no uniqueness constraint "
                f"on {shape.label}({', '.join(shape.key)})); run `openfdp ontology apply` first"
            )
        self._checked.add(shape)

    def _node_text(self, shape: NodeShape, *, stub: bool = False) -> str:
        cache = ("stub", shape) if stub else shape
        if cache not in self._text:
            self._require_constraint(shape)
            label, *extra = labels_of(self._ontology, shape.label)
            key = ", ".join(f"{_q(k)}: row.key.{_q(k)}" for k in shape.key)
            if stub:
                extra_set = f" ON CREATE SET n:{':'.join(_q(x) for x in extra)}" if extra else ""
                text = NODE_STUB_MERGE.format(label=_q(label), key=key, extra=extra_set)
            else:
                extra_set = f" SET n:{':'.join(_q(x) for x in extra)}" if extra else ""
                text = NODE_MERGE.format(label=_q(label), key=key, extra=extra_set)
            self._text[cache] = text
        return self._text[cache]

    def _rel_text(self, shape: RelShape, *, with_props: bool) -> str:
        cache = (shape, with_props)
        if cache not in self._text:
            if shape.type not in self._ontology.rel_types:
                raise UnknownName(f"relationship type {shape.type!r} is not in the ontology")
            parts: dict[str, str] = {"type": _q(shape.type)}
            for side, node in (("start", shape.start), ("end", shape.end)):
                self._require_constraint(node)
                parts[side] = _q(node.label)
                parts[f"{side}_key"] = ", ".join(f"{_q(k)}: row.{side}.{_q(k)}" for k in node.key)
            parts["set_props"] = " SET r += row.props" if with_props else ""
            self._text[cache] = REL_MERGE.format(**parts)
        return self._text[cache]

    @staticmethod
    def _stubs(
        nodes: Mapping[NodeShape, Sequence[Row]], rels: Mapping[RelShape, Sequence[Row]]
    ) -> dict[NodeShape, list[Row]]:
        """Key-only rows for relationship ends this batch does not write itself."""
        have = {s: {tuple(r["key"][k] for k in s.key) for r in rows} for s, rows in nodes.items()}
        stubs: dict[NodeShape, dict[tuple[Any, ...], Row]] = {}
        for shape, rows in rels.items():
            for side, end in (("start", shape.start), ("end", shape.end)):
                known = have.get(end, set())
                for r in rows:
                    ident = tuple(r[side][k] for k in end.key)
                    if ident not in known:
                        stubs.setdefault(end, {})[ident] = {"key": r[side]}
        return {s: list(g.values()) for s, g in stubs.items()}

    def check_schema(self, shapes: Iterable[NodeShape]) -> None:
        """Raise :class:`SchemaNotApplied` unless every shape has its uniqueness constraint."""
        for shape in shapes:
            self._require_constraint(shape)

    def write(
        self,
        nodes: Mapping[NodeShape, Sequence[Row]],
        rels: Mapping[RelShape, Sequence[Row]],
        *,
        batch: str,
    ) -> WriteStats:
        """Write all groups in one transaction: nodes first, then relationships."""
        statements = [(self._node_text(s), rows) for s, rows in nodes.items() if rows]
        statements += [
            (self._node_text(s, stub=True), rows) for s, rows in self._stubs(nodes, rels).items()
        ]
        statements += [
            (self._rel_text(s, with_props=any(r["props"] for r in rows)), rows)
            for s, rows in rels.items()
            if rows
        ]
        stats = WriteStats(
            statements=len(statements),
            node_rows=sum(len(r) for r in nodes.values()),
            rel_rows=sum(len(r) for r in rels.values()),
        )
        if not statements:
            return stats
        metadata = {**self._metadata, "batch": batch}

        @unit_of_work(metadata=metadata, timeout=self._timeout)
        def work(tx: ManagedTransaction) -> None:
            for text, rows in statements:
                tx.run(text, rows=list(rows)).consume()

        try:
            with self._driver.session(database=self._database) as session:
                session.execute_write(work)
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise ConnectionFailed(
                "lost the connection to Neo4j during a write; rerun the same load to complete "
                "it (loads are idempotent)"
            ) from exc
        except Neo4jError as exc:
            raise WriteFailed(f"Neo4j refused a write ({exc.code}); batch {batch}") from exc
        return stats

    def create_bare(
        self,
        nodes: Mapping[NodeShape, Sequence[Row]],
        rels: Mapping[RelShape, Sequence[Row]],
    ) -> None:
        """Benchmark ceiling: the same rows with plain CREATE (no MERGE, no extra labels)."""
        with self._driver.session(database=self._database) as session:
            for shape, rows in nodes.items():
                text = BARE_NODE_CREATE.format(label=_q(shape.label))
                payload = [
                    {"props": {**r["key"], **r["props"], **r.get("create", {})}} for r in rows
                ]
                session.run(Query(text), rows=payload).consume()
            for rshape, rows in rels.items():
                text = BARE_REL_CREATE.format(
                    type=_q(rshape.type),
                    start=_q(rshape.start.label),
                    end=_q(rshape.end.label),
                    start_key=", ".join(f"{_q(k)}: row.start.{_q(k)}" for k in rshape.start.key),
                    end_key=", ".join(f"{_q(k)}: row.end.{_q(k)}" for k in rshape.end.key),
                )
                session.run(Query(text), rows=list(rows)).consume()
