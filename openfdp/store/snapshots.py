"""Weekly waiting-list snapshots in the graph: the latest snapshot date of a provider, and
the pathways a newer snapshot no longer lists, marked *removed from list* (never deleted).
"""

from __future__ import annotations

import datetime
from typing import Any

LATEST: Any = (
    "MATCH (p:RTTPathway {provider_ods: $provider}) "
    "UNWIND [p.last_snapshot_date, p.removed_from_list_date] AS d "
    "RETURN max(d) AS latest"
)

# Listed in an earlier snapshot of this provider, not in this one, not removed yet. The
# reason: validated_off when the pathway's clock had already stopped (a closed pathway still
# listed is what validation takes off), unknown when it left the list with the clock open.
MARK_REMOVED: Any = (
    "MATCH (p:RTTPathway {provider_ods: $provider}) "
    "WHERE p.last_snapshot_date < $snapshot AND p.removed_from_list_date IS NULL "
    "WITH p, CASE WHEN p.pathway_status = 'closed' THEN 'validated_off' ELSE 'unknown' END "
    "  AS reason "
    "SET p.removed_from_list_date = $snapshot, p.removal_reason = reason, "
    "  p.pathway_status = 'removed' "
    "RETURN reason, count(*) AS n"
)


def latest_snapshot(driver: Any, database: str, provider: str) -> datetime.date | None:
    records, _, _ = driver.execute_query(LATEST, provider=provider, database_=database)
    value = records[0]["latest"] if records else None
    return None if value is None else datetime.date.fromisoformat(value.iso_format())


def mark_removed(
    driver: Any, database: str, provider: str, snapshot: datetime.date
) -> dict[str, int]:
    """Mark the provider's pathways missing from `snapshot`; counts by removal reason."""
    records, _, _ = driver.execute_query(
        MARK_REMOVED, provider=provider, snapshot=snapshot, database_=database
    )
    return {r["reason"]: r["n"] for r in records}
