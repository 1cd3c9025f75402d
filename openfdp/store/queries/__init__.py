"""Read queries behind the GraphQL API: Cypher constants with ``$params``, and one runner.

Each module holds the Cypher of one query family (pathways, ICS views, resources, suppliers,
organisations). Every statement answers one GraphQL root field in one round trip: nested
data comes back through map projections and ``COLLECT {}`` subqueries, never through
follow-up queries. The access scope arrives as parameters (``$providers``,
``$exclude_opted_out``); no value is ever spliced into the text.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, LiteralString

from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from neo4j import READ_ACCESS, AsyncDriver, Bookmarks, NotificationMinimumSeverity

# a transient error (leader switch, lost connection) is retried: up to ATTEMPTS tries,
# none started after RETRY_BUDGET_S (an API request fails fast when Neo4j is away)
ATTEMPTS = 3
RETRY_BUDGET_S = 1.0
RETRY_PAUSE_S = 0.05


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, (ServiceUnavailable, SessionExpired)):
        return True
    return isinstance(exc, Neo4jError) and exc.is_retryable()


async def read_rows(
    driver: AsyncDriver,
    database: str,
    query: LiteralString,
    params: dict[str, Any],
    *,
    bookmarks: Bookmarks | None = None,
) -> list[dict[str, Any]]:
    """Run one read query as an auto-commit query in a read session (routed to a reader in
    a cluster); rows as plain dicts.

    One statement needs no explicit transaction: auto-commit sends RUN and PULL in one
    round trip where a managed read transaction adds BEGIN and COMMIT (about a third of
    the time of a small indexed read, docs/benchmarks.md). Transient errors are retried
    as the driver's managed transactions would (``ATTEMPTS`` tries within
    ``RETRY_BUDGET_S``): a read has no effect to repeat. Server notifications (e.g. a
    property no node carries yet) are not requested: they are expected on a sparse
    graph. With ``bookmarks`` the query runs only once the transactions they name are
    applied (causal consistency: see :mod:`openfdp.store.data_version`)."""
    deadline = time.monotonic() + RETRY_BUDGET_S
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with driver.session(
                database=database,
                default_access_mode=READ_ACCESS,
                notifications_min_severity=NotificationMinimumSeverity.OFF,
                bookmarks=bookmarks,
            ) as session:
                result = await session.run(query, params)
                return await result.data()
        except (Neo4jError, ServiceUnavailable, SessionExpired) as exc:
            if attempt == ATTEMPTS or not _retryable(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(RETRY_PAUSE_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
