"""The one Neo4j driver a process uses, built at the edge (a CLI `with` block, the API lifespan)."""

from __future__ import annotations

from typing import Any

from neo4j.exceptions import AuthError, ServiceUnavailable

from neo4j import (
    AsyncDriver,
    AsyncGraphDatabase,
    Driver,
    GraphDatabase,
    NotificationMinimumSeverity,
)
from openfdp.settings import Settings
from openfdp.store.errors import ConnectionFailed

#: Server notifications are not requested: they are schema hints for whoever writes a query
#: (e.g. "the property removed_from_list_date does not exist" on a graph where no pathway has
#: left a list yet), expected on a sparse graph, and the driver would log each one as a
#: warning with the query text into a user's load or linkage output.
QUIET: dict[str, Any] = {"notifications_min_severity": NotificationMinimumSeverity.OFF}


def open_driver(settings: Settings, *, verify: bool = True) -> Driver:
    n = settings.neo4j
    driver = GraphDatabase.driver(
        n.effective_uri,
        auth=(n.user, n.password.get_secret_value()),
        max_connection_pool_size=64,
        **QUIET,
    )
    if verify:
        try:
            driver.verify_connectivity()
        except AuthError as exc:
            driver.close()
            raise ConnectionFailed(
                f"Neo4j at {n.effective_uri} refused the configured credentials"
            ) from exc
        except (ServiceUnavailable, OSError) as exc:
            driver.close()
            raise ConnectionFailed(
                f"Neo4j does not answer at {n.effective_uri}; start it with `openfdp db start` "
                "or set NEO4J_URI"
            ) from exc
    return driver


def open_async_driver(settings: Settings, **config: Any) -> AsyncDriver:
    """``config`` passes driver options through (the API bounds retries and timeouts)."""
    n = settings.neo4j
    options: dict[str, Any] = {"max_connection_pool_size": 64, **QUIET, **config}
    return AsyncGraphDatabase.driver(
        n.effective_uri, auth=(n.user, n.password.get_secret_value()), **options
    )
