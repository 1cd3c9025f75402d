"""Whole-graph counts and a content fingerprint, for idempotence and crash-consistency checks.

The fingerprint is a SHA-256 over the sorted canonical text of every node (labels and
properties) and every relationship (type, properties and the canonical text of both end
nodes). Element ids are not used, so two graphs built independently from the same input
have the same fingerprint. Volatile properties (load timestamps) can be excluded by name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from neo4j import Driver

COUNTS = """
CALL () { MATCH (n) RETURN count(n) AS nodes }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships
"""

NODES = "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props"
RELS = (
    "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, "
    "properties(r) AS props, elementId(b) AS b"
)

DEFAULT_VOLATILE = frozenset({"started_at", "finished_at", "applied_at", "loaded_at", "decided_at"})


def graph_counts(driver: Driver, database: str = "neo4j") -> dict[str, int]:
    records, _, _ = driver.execute_query(COUNTS, database_=database)
    return {"nodes": records[0]["nodes"], "relationships": records[0]["relationships"]}


def _canon(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # temporal types: their ISO text


def graph_fingerprint(
    driver: Driver, database: str = "neo4j", volatile: Iterable[str] = DEFAULT_VOLATILE
) -> str:
    skip = frozenset(volatile)
    node_text: dict[str, str] = {}
    with driver.session(database=database) as session:
        for rec in session.run(NODES):
            props = {k: v for k, v in rec["props"].items() if k not in skip}
            node_text[rec["id"]] = json.dumps(
                [sorted(rec["labels"]), _canon(props)], sort_keys=True, default=str
            )
        rel_text = []
        for rec in session.run(RELS):
            props = {k: v for k, v in rec["props"].items() if k not in skip}
            rel_text.append(
                json.dumps(
                    [node_text[rec["a"]], rec["type"], _canon(props), node_text[rec["b"]]],
                    sort_keys=True,
                    default=str,
                )
            )
    digest = hashlib.sha256()
    for line in sorted(node_text.values()):
        digest.update(line.encode())
        digest.update(b"\n")
    digest.update(b"--\n")
    for line in sorted(rel_text):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()
