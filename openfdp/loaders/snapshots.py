"""Waiting-list extracts as weekly snapshots (WLMDS is a weekly collection of the open list).

A ``waiting_list`` file whose rows carry ``snapshot_date`` is its provider's snapshot for
that week. After it is loaded, a pathway of that provider that an earlier snapshot listed and
this one does not is marked *removed from list* (``removed_from_list_date`` = the snapshot
date, ``removal_reason`` validated_off or unknown; ``pathway_status`` removed): it leaves
the waiting list and the record-level lists of open pathways, and nothing is deleted. A
pathway listed again later is back on the list. Loading the same snapshot again changes
nothing; a snapshot older than the provider's latest is refused unless forced.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openfdp.loaders.errors import LoaderError
from openfdp.loaders.readers.trust_csv import plan
from openfdp.store.snapshots import latest_snapshot, mark_removed


class SnapshotOutOfOrder(LoaderError):
    """A snapshot older than the latest one loaded for its provider."""


@dataclass(frozen=True)
class Snapshot:
    provider: str
    snapshot_date: date
    file: str


def snapshots(paths: Iterable[Path], source_ods: str | None = None) -> list[Snapshot]:
    """The (provider, snapshot date) of each waiting-list file with a snapshot date.

    Rows with an unreadable date or provider are left to the loader (it quarantines them);
    a file holding two providers or two snapshot dates is refused: one file, one snapshot.
    """
    found: list[Snapshot] = []
    for path, extract in plan(paths):
        if extract.name != "waiting_list":
            continue
        pairs: set[tuple[str, date]] = set()
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
            for row in csv.DictReader(fh):
                when = _date((row.get("snapshot_date") or "").strip())
                who = (row.get("provider_ods") or "").strip().upper() or source_ods
                if when is not None and who:
                    pairs.add((who, when))
        if len(pairs) > 1:
            raise LoaderError(
                f"{path.name}: a waiting-list snapshot file holds one provider and one "
                f"snapshot_date, this one holds {len(pairs)} (provider, date) pairs"
            )
        found += [Snapshot(who, when, path.name) for who, when in pairs]
    return found


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def check_order(driver: Any, database: str, found: list[Snapshot], *, force: bool = False) -> None:
    """Refuse a snapshot older than the latest already loaded for its provider."""
    for snap in found:
        latest = latest_snapshot(driver, database, snap.provider)
        if latest is not None and snap.snapshot_date < latest and not force:
            raise SnapshotOutOfOrder(
                f"{snap.file}: snapshot {snap.snapshot_date} of {snap.provider} is older than "
                f"its latest loaded snapshot {latest}; loading it would put removed pathways "
                "back on the list (use --force to load it anyway)"
            )


def apply_removals(driver: Any, database: str, found: list[Snapshot]) -> dict[str, int]:
    """Mark the pathways each snapshot no longer lists; counts by reason over all files."""
    totals: dict[str, int] = {}
    for snap in sorted(found, key=lambda s: s.snapshot_date):
        for reason, n in mark_removed(driver, database, snap.provider, snap.snapshot_date).items():
            totals[reason] = totals.get(reason, 0) + n
    return totals
