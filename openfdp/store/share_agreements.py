"""Data sharing agreements in the graph (DataSharingAgreement nodes, docs/federation.md)."""

from __future__ import annotations

from typing import Any

from neo4j import Driver

MERGE = (
    "MERGE (a:`DataSharingAgreement` {`agreement_id`: $id}) "
    "SET a += $props RETURN properties(a) AS agreement"
)
GET = "MATCH (a:`DataSharingAgreement` {`agreement_id`: $id}) RETURN properties(a) AS a"
LIST = "MATCH (a:`DataSharingAgreement`) RETURN properties(a) AS a ORDER BY a.agreement_id"
SET_STATUS = (
    "MATCH (a:`DataSharingAgreement` {`agreement_id`: $id}) "
    "SET a.status = $status, a.effective_to = CASE WHEN a.effective_to IS NULL "
    "OR a.effective_to > $today THEN $today ELSE a.effective_to END "
    "RETURN properties(a) AS a"
)


def save(driver: Driver, agreement_id: str, props: dict[str, Any], *, database: str) -> None:
    driver.execute_query(MERGE, id=agreement_id, props=props, database_=database)


def get(driver: Driver, agreement_id: str, *, database: str) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(GET, id=agreement_id, database_=database)
    return dict(records[0]["a"]) if records else None


def list_all(driver: Driver, *, database: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(LIST, database_=database)
    return [dict(r["a"]) for r in records]


def set_status(
    driver: Driver, agreement_id: str, status: str, today: Any, *, database: str
) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        SET_STATUS, id=agreement_id, status=status, today=today, database_=database
    )
    return dict(records[0]["a"]) if records else None
