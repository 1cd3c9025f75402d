"""Amendments: later source records that change facts already in the graph.

A merge of two person identities (HL7 v2 ADT^A40), the cancellation of an event (ADT^A11
cancel admit, ADT^A13 cancel discharge) and the deletion of a resource (a FHIR transaction
entry with ``request.method = DELETE``). Each runs in its own write transaction after the
records before it were written, so a feed replays in input order. Labels, relationship types
and property names are checked against the ontology and backtick-quoted; values are
``$params``. Every statement is idempotent: running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from neo4j import Driver, ManagedTransaction, unit_of_work
from openfdp.ontology.model import Ontology
from openfdp.store.errors import ConnectionFailed
from openfdp.store.writer import UnknownName, WriteFailed, _q, labels_of

PERSON = "PseudonymisedPerson"

MOVE_OUT = (
    "MATCH (p:{label} {{{prior}}})-[r:{type}]->(x) MATCH (s:{label} {{{surviving}}}) "
    "WHERE p <> s MERGE (s)-[:{type}]->(x) DELETE r RETURN count(r) AS n"
)
MERGED_INTO = (
    "MATCH (p:{label} {{{prior}}}) MATCH (s:{label} {{{surviving}}}) WHERE p <> s "
    "MERGE (p)-[m:`MERGED_INTO`]->(s) SET m.merged_by_record = $record, m.merged_at = $at "
    "RETURN count(m) AS n"
)
DELETE_OWNED = "MATCH (n:{label} {{{key}}})-[:{type}]->(c) DETACH DELETE c RETURN count(*) AS n"
DELETE_NODE = "MATCH (n:{label} {{{key}}}) DETACH DELETE n RETURN count(*) AS n"
UNSET = "MATCH (n:{label} {{{key}}}) REMOVE {props} RETURN count(n) AS n"
# a node derived only from the deleted record goes, with its relationships; a node that
# other records also derive from, or a shared reference node, only loses the link
DELETE_FACTS = (
    "MATCH (:`SourceRecord` {`source_record_id`: $id})<-[d:`DERIVED_FROM`]-(n) "
    "WITH n, d, COUNT { (n)-[:`DERIVED_FROM`]->(:`SourceRecord`) } > 1 "
    "OR any(l IN labels(n) WHERE l IN $keep) AS shared "
    "FOREACH (_ IN CASE WHEN shared THEN [1] ELSE [] END | DELETE d) "
    "FOREACH (_ IN CASE WHEN shared THEN [] ELSE [1] END | DETACH DELETE n) "
    "RETURN count(*) AS n"
)


def _match(key: Mapping[str, Any], param: str) -> str:
    return ", ".join(f"{_q(k)}: ${param}.{_q(k)}" for k in sorted(key))


@dataclass
class AmendStats:
    merged: int = 0
    moved: int = 0
    deleted: int = 0
    unset: int = 0


class GraphAmender:
    """Applies amendments for one load job (one transaction per amendment)."""

    def __init__(
        self,
        driver: Driver,
        ontology: Ontology,
        *,
        database: str = "neo4j",
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self._driver, self._ontology, self._database = driver, ontology, database
        self._metadata = dict(metadata or {})
        self.stats = AmendStats()

    def _label(self, label: str) -> str:
        return _q(labels_of(self._ontology, label)[0])

    def _rel(self, rel_type: str) -> str:
        if rel_type not in self._ontology.rel_types:
            raise UnknownName(f"relationship type {rel_type!r} is not in the ontology")
        return _q(rel_type)

    def _run(self, statements: list[tuple[str, dict[str, Any]]]) -> list[int]:
        @unit_of_work(metadata=self._metadata)
        def work(tx: ManagedTransaction) -> list[int]:
            return [
                int(tx.run(text, **params).single(strict=True)["n"]) for text, params in statements
            ]

        try:
            with self._driver.session(database=self._database) as session:
                return session.execute_write(work)
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise ConnectionFailed(
                "lost the connection to Neo4j during an amendment; rerun the same load"
            ) from exc
        except Neo4jError as exc:
            raise WriteFailed(f"Neo4j refused an amendment ({exc.code})") from exc

    def merge_persons(
        self,
        prior: Mapping[str, Any],
        surviving: Mapping[str, Any],
        *,
        moved: Iterable[str],
        record: str,
        merged_at: Any,
    ) -> None:
        """Move the prior person's `moved` relationships to the surviving person and link
        ``(prior)-[:MERGED_INTO {merged_by_record, merged_at}]->(surviving)``."""
        label = self._label(PERSON)
        keys = {"prior": _match(prior, "prior"), "surviving": _match(surviving, "surviving")}
        params: dict[str, Any] = {"prior": dict(prior), "surviving": dict(surviving)}
        statements = [
            (MOVE_OUT.format(label=label, type=self._rel(t), **keys), params) for t in moved
        ]
        statements.append(
            (
                MERGED_INTO.format(label=label, **keys),
                {**params, "record": record, "at": merged_at},
            )
        )
        *moves, merged = self._run(statements)
        self.stats.moved += sum(moves)
        self.stats.merged += merged

    def delete_node(self, label: str, key: Mapping[str, Any], owned: Iterable[str]) -> None:
        """Delete a node and the nodes it owns through `owned` relationship types."""
        lbl, match = self._label(label), _match(key, "key")
        statements = [
            (
                DELETE_OWNED.format(label=lbl, key=match, type=self._rel(t)),
                {"key": dict(key)},
            )
            for t in owned
        ]
        statements.append((DELETE_NODE.format(label=lbl, key=match), {"key": dict(key)}))
        self.stats.deleted += sum(self._run(statements))

    def unset_properties(
        self, label: str, key: Mapping[str, Any], properties: Iterable[str]
    ) -> None:
        nt = self._ontology.node_types[labels_of(self._ontology, label)[0]]
        names = list(properties)
        unknown = [p for p in names if p not in nt.properties]
        if unknown:
            raise UnknownName(f"{label} has no properties {unknown}")
        removed = ", ".join(f"n.{_q(p)}" for p in names)
        text = UNSET.format(label=self._label(label), key=_match(key, "key"), props=removed)
        self.stats.unset += sum(self._run([(text, {"key": dict(key)})]))

    def delete_record_facts(self, source_record_id: str, *, keep_labels: Iterable[str]) -> None:
        params = {"id": source_record_id, "keep": sorted(keep_labels)}
        self.stats.deleted += sum(self._run([(DELETE_FACTS, params)]))
