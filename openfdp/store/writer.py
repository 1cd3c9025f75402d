"""Batched, idempotent writes of ontology nodes and relationships.

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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from neo4j import Driver, ManagedTransaction, unit_of_work
from openfdp.ontology.model import Ontology
from openfdp.store import write_cypher
from openfdp.store.errors import ConnectionFailed, StoreError

SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD type, entityType, labelsOrTypes, properties"
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
    try:
        return write_cypher.name(name)
    except write_cypher.BadName as exc:
        raise UnknownName(str(exc)) from None


def labels_of(ontology: Ontology, label: str) -> tuple[str, ...]:
    """The label itself first, then its superclass labels, as the ontology defines them."""
    nt = ontology.node_types.get(label)
    if nt is None:
        raise UnknownName(f"label {label!r} is not in the ontology")
    extra = [str(x) for x in (nt.labels or ()) if str(x) != label]
    return (label, *extra)


def key_root(ontology: Ontology, shape: NodeShape) -> str:
    """The highest class of ``shape``'s label chain whose key is the shape's key: the label a
    node's identity lives under (an NHSTrust and an Organisation with one ODS code are one
    node)."""
    keyed = [
        lbl
        for lbl in labels_of(ontology, shape.label)
        if lbl in ontology.node_types and tuple(sorted(ontology.node_types[lbl].key)) == shape.key
    ]
    return keyed[-1] if keyed else shape.label


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
            labels = labels_of(self._ontology, shape.label)
            try:
                self._text[cache] = write_cypher.node_text(labels, shape.key, stub=stub)
            except write_cypher.BadName as exc:
                raise UnknownName(str(exc)) from None
        return self._text[cache]

    def _rel_text(self, shape: RelShape, *, with_props: bool, create: bool = False) -> str:
        cache = (shape, with_props, create)
        if cache not in self._text:
            if shape.type not in self._ontology.rel_types:
                raise UnknownName(f"relationship type {shape.type!r} is not in the ontology")
            self._require_constraint(shape.start)
            self._require_constraint(shape.end)
            self._text[cache] = write_cypher.rel_text(
                _q(shape.type)[1:-1], with_props=with_props, create=create
            )
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
        """Write all groups in one transaction: nodes (and key-only stubs for relationship
        ends the batch does not write) first, each statement handing back its nodes' element
        ids; then the relationships, by those ids."""
        node_statements = [(s, self._node_text(s), rows) for s, rows in nodes.items() if rows]
        node_statements += [
            (s, self._node_text(s, stub=True), rows) for s, rows in self._stubs(nodes, rels).items()
        ]
        rel_statements = [(rshape, rows) for rshape, rows in rels.items() if rows]
        for rshape, _ in rel_statements:  # names checked before anything is written
            self._rel_text(rshape, with_props=False)
        stats = WriteStats(
            statements=len(node_statements) + len(rel_statements),
            node_rows=sum(len(r) for r in nodes.values()),
            rel_rows=sum(len(r) for r in rels.values()),
        )
        if not stats.statements:
            return stats
        metadata = {**self._metadata, "batch": batch}

        @unit_of_work(metadata=metadata, timeout=self._timeout)
        def work(tx: ManagedTransaction) -> None:
            ids: dict[NodeShape, dict[tuple[Any, ...], str]] = {}
            created: set[str] = set()
            for shape, text, rows in node_statements:
                rec = tx.run(text, rows=list(rows)).single(strict=True)
                got, new = rec["ids"], rec["new"]
                if len(got) != len(rows):  # pragma: no cover - one id per row, in order
                    raise WriteFailed(f"a node statement returned {len(got)} of {len(rows)} ids")
                known = ids.setdefault(shape, {})
                names = shape.key
                for row, node_id in zip(rows, got, strict=True):
                    key = row["key"]
                    known[tuple([key[k] for k in names])] = node_id
                created.update(i for i, fresh in zip(got, new, strict=True) if fresh)
            seen: set[tuple[str, str, str]] = set()
            for rshape, rows in rel_statements:
                fresh, old = _rel_rows(rshape, rows, ids, created, seen)
                with_props = any(r["props"] for r in rows)
                if fresh:
                    text = self._rel_text(rshape, with_props=with_props, create=True)
                    tx.run(text, rows=fresh).consume()
                if old:
                    text = self._rel_text(rshape, with_props=with_props)
                    tx.run(text, rows=old).consume()

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


def _rel_rows(
    shape: RelShape,
    rows: Sequence[Row],
    ids: Mapping[NodeShape, Mapping[tuple[Any, ...], str]],
    created: set[str],
    seen: set[tuple[str, str, str]],
) -> tuple[list[list[Any]], list[list[Any]]]:
    """[start id, end id(, properties)] of each relationship row: those with an end created
    in this transaction (to CREATE) and the others (to MERGE). A repeat of the same type
    between the same two nodes (two shapes naming one node) is dropped from the first list
    and MERGEd instead."""
    starts, ends = ids[shape.start], ids[shape.end]
    sk, ek = shape.start.key, shape.end.key
    with_props = any(r["props"] for r in rows)
    fresh: list[list[Any]] = []
    old: list[list[Any]] = []
    for r in rows:
        a = starts[tuple([r["start"][k] for k in sk])]
        b = ends[tuple([r["end"][k] for k in ek])]
        item = [a, b, r["props"]] if with_props else [a, b]
        triple = (shape.type, a, b)
        if (a in created or b in created) and triple not in seen:
            seen.add(triple)
            fresh.append(item)
        else:
            old.append(item)
    return fresh, old
