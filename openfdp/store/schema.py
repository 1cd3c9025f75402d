"""Applying the ontology to Neo4j: constraints, indexes, code-list concepts, the version.

``apply_ontology`` is idempotent: applying the same ontology twice creates nothing the second
time and reports ``already_applied``. The DDL text comes from :mod:`openfdp.ontology.cypher_ddl`
(labels and property names only from the compiled ontology); everything else is below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j.exceptions import ClientError, Neo4jError

from neo4j import Driver, Query
from openfdp.ontology import Ontology
from openfdp.ontology.cypher_ddl import NAME_PREFIX, SchemaObject, schema_objects
from openfdp.store.errors import StoreError

SHOW_CONSTRAINTS = """
SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties
RETURN name, labelsOrTypes, properties
"""

SHOW_INDEXES = """
SHOW INDEXES YIELD name, labelsOrTypes, properties, owningConstraint, type
WHERE owningConstraint IS NULL AND type <> 'LOOKUP'
RETURN name, labelsOrTypes, properties
"""

AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"

MERGE_CONCEPTS = """
UNWIND $rows AS row
MERGE (c:CodedConcept {system: row.system, code: row.code})
WITH c, row
WHERE c.display IS NULL OR c.display <> row.display
SET c.display = row.display
RETURN count(c) AS changed
"""

LATEST_VERSION = """
MATCH (v:OntologyVersion)
RETURN v.version AS version
ORDER BY v.applied_at DESC
LIMIT 1
"""

RECORD_VERSION = """
MERGE (v:OntologyVersion {version: $version})
SET v.applied_at = datetime()
RETURN v.applied_at AS applied_at
"""


class SchemaApplyError(StoreError):
    """The ontology's schema could not be applied (e.g. existing data violates a key)."""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    version: str
    statements_run: int
    constraints_created: int
    indexes_created: int
    concepts_merged: int  # code-list concepts MERGEd (all of them, every time)
    already_applied: bool  # this version was already the applied one before this call
    concepts_created: int = 0
    concepts_updated: int = 0
    replaced: tuple[str, ...] = ()  # ofdp_ objects dropped and re-created with a new definition
    stale: tuple[str, ...] = ()  # ofdp_ objects of an older ontology, left in place

    @property
    def changed(self) -> bool:
        return bool(
            self.constraints_created
            or self.indexes_created
            or self.concepts_created
            or self.concepts_updated
            or self.replaced
            or not self.already_applied
        )


def _query(text: str, job: str, version: str) -> Query:
    meta = {"job": job, "ontology_version": version}
    return Query(text, metadata=meta)


def _existing(driver: Driver, database: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    found: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for text in (SHOW_CONSTRAINTS, SHOW_INDEXES):
        records, _, _ = driver.execute_query(text, database_=database)
        for r in records:
            found[r["name"]] = (tuple(r["labelsOrTypes"] or ()), tuple(r["properties"] or ()))
    return found


def _run_ddl(driver: Driver, obj: SchemaObject, database: str, version: str) -> tuple[int, int]:
    try:
        _, summary, _ = driver.execute_query(
            _query(obj.cypher, "ontology-apply", version), database_=database
        )
    except Neo4jError as exc:
        hint = ""
        if obj.kind == "constraint":
            hint = f" (do existing :{obj.label} nodes share a key {', '.join(obj.properties)}?)"
        raise SchemaApplyError(f"cannot create {obj.kind} {obj.name}{hint}: {exc.message}") from exc
    return summary.counters.constraints_added, summary.counters.indexes_added


def _drop(driver: Driver, kind: str, name: str, database: str, version: str) -> None:
    text = f"DROP {kind.upper()} `{name}` IF EXISTS"
    driver.execute_query(_query(text, "ontology-apply", version), database_=database)


def applied_version(driver: Driver, database: str = "neo4j") -> str | None:
    """The version of the ontology last applied to the graph, or None."""
    records, _, _ = driver.execute_query(LATEST_VERSION, database_=database)
    return str(records[0]["version"]) if records else None


def concept_rows(ontology: Ontology) -> list[dict[str, Any]]:
    return [
        {"system": scheme, "code": code, "display": display}
        for scheme, codes in sorted(ontology.concept_schemes.items())
        for code, display in codes.items()
    ]


def apply_ontology(driver: Driver, ontology: Ontology, database: str = "neo4j") -> ApplyResult:
    """Create the constraints and indexes, MERGE the code-list concepts, record the version."""
    version = ontology.version
    try:
        before = applied_version(driver, database)
        existing = _existing(driver, database)
        wanted = schema_objects(ontology)
        replaced: list[str] = []
        for obj in wanted:  # a same-named object with another definition is re-created
            found = existing.get(obj.name)
            if found is not None and found != ((obj.label,), obj.properties):
                _drop(driver, obj.kind, obj.name, database, version)
                replaced.append(obj.name)
        constraints = indexes = 0
        for obj in wanted:
            c, i = _run_ddl(driver, obj, database, version)
            constraints += c
            indexes += i
        driver.execute_query(AWAIT_INDEXES, seconds=300, database_=database)
        rows = concept_rows(ontology)
        records, summary, _ = driver.execute_query(
            _query(MERGE_CONCEPTS, "ontology-apply", version), rows=rows, database_=database
        )
        created = summary.counters.nodes_created
        changed = int(records[0]["changed"]) if records else 0
        statements = len(replaced) + len(wanted) + 2
        if before != version:
            driver.execute_query(
                _query(RECORD_VERSION, "ontology-apply", version),
                version=version,
                database_=database,
            )
            statements += 1
    except ClientError as exc:
        raise SchemaApplyError(f"applying ontology {version} failed: {exc.message}") from exc
    wanted_names = {o.name for o in wanted}
    stale = tuple(
        sorted(n for n in existing if n.startswith(NAME_PREFIX) and n not in wanted_names)
    )
    return ApplyResult(
        version=version,
        statements_run=statements,
        constraints_created=constraints,
        indexes_created=indexes,
        concepts_merged=len(rows),
        already_applied=before == version,
        concepts_created=created,
        concepts_updated=changed - created,
        replaced=tuple(replaced),
        stale=stale,
    )
