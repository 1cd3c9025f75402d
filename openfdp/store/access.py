"""Store queries the access policy needs: which trusts belong to an ICB."""

from __future__ import annotations

from neo4j import AsyncDriver, RoutingControl

MEMBER_TRUSTS = """
MATCH (t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB {ods_code: $icb_ods})
RETURN collect(DISTINCT t.ods_code) AS trusts
"""


async def member_trusts(driver: AsyncDriver, icb_ods: str, *, database: str) -> frozenset[str]:
    """ODS codes of the NHS trusts in an ICB's geography (empty when the ICB is unknown)."""
    records, _, _ = await driver.execute_query(
        MEMBER_TRUSTS, icb_ods=icb_ods, database_=database, routing_=RoutingControl.READ
    )
    return frozenset(str(t) for t in records[0]["trusts"]) if records else frozenset()
