"""Reading the whole graph back, node by node and relationship by relationship (for an RDF
export checked against the SHACL shapes; see :mod:`openfdp.ontology.instance_rdf`).

Streams in pages of element ids so memory stays bounded; meant for test and demo graphs and
for audits of a sample, not for exporting a production graph in one go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from neo4j import Driver

NODES = (
    "MATCH (n) WHERE elementId(n) > $after RETURN elementId(n) AS id, labels(n) AS labels, "
    "properties(n) AS props ORDER BY id LIMIT $page"
)
RELS = (
    "MATCH (a)-[r]->(b) WHERE elementId(r) > $after RETURN elementId(r) AS id, "
    "elementId(a) AS start, type(r) AS type, elementId(b) AS end, properties(r) AS props "
    "ORDER BY id LIMIT $page"
)


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    labels: tuple[str, ...]
    props: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GraphRel:
    start: str
    type: str
    end: str
    props: dict[str, Any]


def _pages(driver: Driver, query: str, database: str, page: int) -> Iterator[dict[str, Any]]:
    after = ""
    while True:
        records, _, _ = driver.execute_query(
            query, {"after": after, "page": page}, database_=database
        )
        for rec in records:
            yield rec.data()
        if len(records) < page:
            return
        after = records[-1]["id"]


def read_nodes(driver: Driver, *, database: str = "neo4j", page: int = 5000) -> Iterator[GraphNode]:
    for row in _pages(driver, NODES, database, page):
        yield GraphNode(row["id"], tuple(sorted(row["labels"])), dict(row["props"]))


def read_rels(driver: Driver, *, database: str = "neo4j", page: int = 5000) -> Iterator[GraphRel]:
    for row in _pages(driver, RELS, database, page):
        yield GraphRel(row["start"], row["type"], row["end"], dict(row["props"]))
