"""Store side of opt-out snapshots (loaders/opt_out_snapshot.py): unmark the persons of a
domain whose opt-out is no longer listed."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from neo4j import WRITE_ACCESS

LIFT_ABSENT = """
MATCH (p:PseudonymisedPerson {pseudonymisation_domain: $domain})
WHERE p.ndoo_opt_out = true AND NOT p.pseudo_id IN $listed
SET p.ndoo_opt_out = false
RETURN count(p) AS lifted
"""


def lift_absent_opt_outs(
    driver: Any, domain: str, listed: Collection[str], *, database: str
) -> int:
    """Unmark every opted-out person of ``domain`` not in ``listed``; how many were."""
    with driver.session(database=database, default_access_mode=WRITE_ACCESS) as session:
        record = session.execute_write(
            lambda tx: tx.run(LIFT_ABSENT, domain=domain, listed=sorted(listed)).single()
        )
    return int(record["lifted"]) if record else 0
