"""Read queries behind the GraphQL API: Cypher constants with ``$params``, and one runner.

Each module holds the Cypher of one query family (pathways, ICS views, resources, suppliers,
organisations). Every statement answers one GraphQL root field in one round trip: nested
data comes back through map projections and ``COLLECT {}`` subqueries, never through
follow-up queries. The access scope arrives as parameters (``$providers``,
``$exclude_opted_out``); no value is ever spliced into the text.
"""

from __future__ import annotations

from typing import Any, LiteralString

from neo4j import AsyncDriver, RoutingControl


async def read_rows(
    driver: AsyncDriver, database: str, query: LiteralString, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Run one read query (routed to a reader in a cluster); rows as plain dicts."""
    result = await driver.execute_query(
        query, params, database_=database, routing_=RoutingControl.READ
    )
    return [record.data() for record in result.records]
