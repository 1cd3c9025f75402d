"""Read queries behind the GraphQL API: Cypher constants with ``$params``, and one runner.

Each module holds the Cypher of one query family (pathways, ICS views, resources, suppliers,
organisations). Every statement answers one GraphQL root field in one round trip: nested
data comes back through map projections and ``COLLECT {}`` subqueries, never through
follow-up queries. The access scope arrives as parameters (``$providers``,
``$exclude_opted_out``); no value is ever spliced into the text.
"""

from __future__ import annotations

from typing import Any, LiteralString

from neo4j import READ_ACCESS, AsyncDriver, AsyncManagedTransaction, NotificationMinimumSeverity


async def read_rows(
    driver: AsyncDriver, database: str, query: LiteralString, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run one read query in a read transaction (routed to a reader in a cluster, retried
    on transient errors); rows as plain dicts. Server notifications (e.g. a property no
    node carries yet) are not requested: they are expected on a sparse graph."""

    async def work(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
        result = await tx.run(query, params)
        return await result.data()

    async with driver.session(
        database=database,
        default_access_mode=READ_ACCESS,
        notifications_min_severity=NotificationMinimumSeverity.OFF,
    ) as session:
        return await session.execute_read(work)
