"""Store side of importing and withdrawing data products (openfdp/loaders/share).

An imported product is one ``LoadBatch`` (source ``share:<agreement id>``) whose
``product_imported`` is set last; each of its items is a ``SourceRecord``. Deleting the facts
of some source records removes the nodes derived only from them (shared reference nodes and
nodes other records also derive from stay, losing only the link), then the records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import Driver

IS_IMPORTED = (
    "MATCH (b:`LoadBatch` {`batch_id`: $id}) RETURN coalesce(b.product_imported, false) AS done"
)
MARK_IMPORTED = "MATCH (b:`LoadBatch` {`batch_id`: $id}) SET b += $props"
LAST_SEQ = (
    "MATCH (b:`LoadBatch` {`source`: $source}) WHERE b.product_imported "
    "RETURN coalesce(max(b.export_seq), 0) AS seq"
)
OPT_OUT = (
    "UNWIND $ids AS id MATCH (p:`PseudonymisedPerson` "
    "{`pseudonymisation_domain`: $domain, `pseudo_id`: id}) "
    "WHERE coalesce(p.ndoo_opt_out, false) = false SET p.ndoo_opt_out = true RETURN count(p) AS n"
)
DELETE_DERIVED = (
    "UNWIND $ids AS id MATCH (:`SourceRecord` {`source_record_id`: id})<-[:`DERIVED_FROM`]-(n) "
    "WHERE NOT any(l IN labels(n) WHERE l IN $keep) "
    "AND NOT EXISTS { MATCH (n)-[:`DERIVED_FROM`]->(o:`SourceRecord`) "
    "WHERE NOT o.source_record_id IN $ids } "
    "WITH DISTINCT n "
    "WITH n, head(labels(n)) AS label, COUNT { (n)-[:`SAME_PERSON_AS`]-() } AS links "
    "DETACH DELETE n RETURN label, count(*) AS n, sum(links) AS links"
)
DELETE_RECORDS = (
    "UNWIND $ids AS id MATCH (s:`SourceRecord` {`source_record_id`: id}) DETACH DELETE s "
    "RETURN count(*) AS n"
)
SOURCE_RECORDS = "MATCH (s:`SourceRecord` {`source`: $source}) RETURN s.source_record_id AS id"
DELETE_BATCHES = "MATCH (b:`LoadBatch` {`source`: $source}) DETACH DELETE b RETURN count(*) AS n"
ORPHAN_TASKS = (
    "MATCH (t:`LinkReviewTask`) WHERE COUNT { (t)-[:`CANDIDATE`]->() } < 2 "
    "DETACH DELETE t RETURN count(*) AS n"
)


def is_imported(driver: Driver, batch_id: str, *, database: str) -> bool:
    records, _, _ = driver.execute_query(IS_IMPORTED, id=batch_id, database_=database)
    return bool(records and records[0]["done"])


def last_imported_seq(driver: Driver, source: str, *, database: str) -> int:
    """The highest export number imported from ``source`` (0: none yet)."""
    records, _, _ = driver.execute_query(LAST_SEQ, source=source, database_=database)
    return int(records[0]["seq"]) if records else 0


def mark_imported(driver: Driver, batch_id: str, props: dict[str, Any], *, database: str) -> None:
    driver.execute_query(
        MARK_IMPORTED, id=batch_id, props={**props, "product_imported": True}, database_=database
    )


def set_opt_outs(driver: Driver, domain: str, pseudo_ids: Sequence[str], *, database: str) -> int:
    """Mark persons opted out (a sender's opt-outs); how many were not marked yet."""
    records, _, _ = driver.execute_query(
        OPT_OUT, ids=list(pseudo_ids), domain=domain, database_=database
    )
    return int(records[0]["n"]) if records else 0


def delete_facts(
    driver: Driver, ids: Sequence[str], keep: Sequence[str], *, database: str, chunk: int = 2000
) -> dict[str, int]:
    """Delete the facts of some source records; counts by label, ``SAME_PERSON_AS`` links
    (``links``) and ``source_records``."""
    counts: dict[str, int] = {}
    for start in range(0, len(ids), chunk):
        part = list(ids[start : start + chunk])
        with driver.session(database=database) as session:
            counts = session.execute_write(_delete_chunk, part, sorted(keep), counts)
    return counts


def _delete_chunk(
    tx: Any, ids: list[str], keep: list[str], counts: dict[str, int]
) -> dict[str, int]:
    out = dict(counts)
    for rec in tx.run(DELETE_DERIVED, ids=ids, keep=keep):
        out[rec["label"]] = out.get(rec["label"], 0) + int(rec["n"])
        out["links"] = out.get("links", 0) + int(rec["links"])
    n = tx.run(DELETE_RECORDS, ids=ids).single()
    out["source_records"] = out.get("source_records", 0) + (int(n["n"]) if n else 0)
    return out


def withdraw_source(
    driver: Driver, source: str, keep: Sequence[str], *, database: str
) -> dict[str, int]:
    """Delete everything loaded from ``source`` (its records' facts, records and batches)."""
    records, _, _ = driver.execute_query(SOURCE_RECORDS, source=source, database_=database)
    counts = delete_facts(driver, [str(r["id"]) for r in records], keep, database=database)
    batches, _, _ = driver.execute_query(DELETE_BATCHES, source=source, database_=database)
    counts["load_batches"] = int(batches[0]["n"]) if batches else 0
    tasks, _, _ = driver.execute_query(ORPHAN_TASKS, database_=database)
    counts["review_tasks"] = int(tasks[0]["n"]) if tasks else 0
    return counts
