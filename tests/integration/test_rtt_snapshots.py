"""Waiting-list extracts as weekly snapshots on the real Neo4j (WLMDS: a weekly collection of
the open list): a pathway an earlier snapshot listed and a newer one does not is marked
removed from list, never deleted; the same snapshot twice changes nothing; an older snapshot
is refused unless forced."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.loaders.formats_data import EXTRACTS
from openfdp.loaders.snapshots import SnapshotOutOfOrder
from openfdp.ontology import load_ontology
from openfdp.settings import Settings
from openfdp.store.fingerprint import graph_fingerprint
from openfdp.store.queries import ics as q_ics
from openfdp.store.schema import apply_ontology

pytestmark = pytest.mark.integration
WEEK1, WEEK2 = date(2026, 3, 22), date(2026, 3, 29)
HEADER = EXTRACTS["waiting_list"].header


def _rows(ppid: str, events: list[tuple[str, str]], snapshot: date) -> list[dict[str, str]]:
    base = {
        "provider_ods": "RJ1", "local_patient_id": f"L-{ppid}", "ppid": ppid,
        "ppid_issuer_ods": "RJ1", "referral_received_date": "2025-11-03", "tfc": "110",
        "waiting_list_type": "ORTT", "snapshot_date": snapshot.isoformat(),
    }  # fmt: skip
    return [
        {**base, "event_seq": str(i), "status_code": code, "activity_date": day}
        for i, (code, day) in enumerate(events, start=1)
    ]


OPEN = [("10", "2025-11-20")]
STOPPED = [("10", "2025-11-20"), ("30", "2026-02-02")]


def _write(folder: Path, snapshot: date, pathways: dict[str, list[tuple[str, str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"waiting_list-RJ1-{snapshot.isoformat()}.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        for ppid, events in pathways.items():
            w.writerows(_rows(ppid, events, snapshot))
    return path


def _state(driver: Driver) -> dict[str, tuple[Any, ...]]:
    records, _, _ = driver.execute_query(
        "MATCH (p:RTTPathway) RETURN p.ppid AS ppid, p.pathway_status AS status, "
        "p.removed_from_list_date AS removed, p.removal_reason AS reason"
    )
    return {
        r["ppid"]: (r["status"], r["removed"] and r["removed"].to_native(), r["reason"])
        for r in records
    }


def _listed(driver: Driver) -> int:
    records, _, _ = driver.execute_query(
        q_ics.WAITING_LIST, icb=None, provider="RJ1", providers=["RJ1"], group_by="PROVIDER",
        exclude_opted_out=False, as_of=WEEK2,
    )  # fmt: skip
    return sum(g["total"] for g in records[0]["groups"])


@pytest.fixture()
def graph(clean_graph: Driver, test_settings: Settings) -> Driver:
    apply_ontology(clean_graph, load_ontology(), test_settings.neo4j.database)
    return clean_graph


def test_wlmds_weekly_snapshots_remove_absent_pathways_and_refuse_older_ones(
    graph: Driver, test_settings: Settings, tmp_path: Path
) -> None:
    onto = load_ontology()

    def load(path: Path, **kw: Any) -> None:
        load_feed("csv", [path], cfg=test_settings, driver=graph, ontology=onto, **kw)

    week1 = _write(tmp_path / "w1", WEEK1, {"A": OPEN, "B": OPEN, "C": STOPPED})
    week2 = _write(tmp_path / "w2", WEEK2, {"A": OPEN})
    load(week1)
    assert _listed(graph) == 2  # A and B open; C's clock stopped
    load(week2)
    assert _state(graph) == {
        "A": ("open", None, None),
        "B": ("removed", WEEK2, "unknown"),  # left the list with its clock open
        "C": ("removed", WEEK2, "validated_off"),  # a stopped clock taken off the list
    }
    assert _listed(graph) == 1, "a removed pathway is not on the waiting list"
    before = graph_fingerprint(graph)
    load(week2)  # the same snapshot again changes nothing
    assert graph_fingerprint(graph) == before
    with pytest.raises(SnapshotOutOfOrder, match="older than its latest loaded snapshot"):
        load(week1)
    assert graph_fingerprint(graph) == before, "a refused snapshot writes nothing"
    load(week1, force=True)  # forced: the older snapshot lists B and C again
    assert _state(graph)["B"] == ("open", None, None)
    assert _listed(graph) == 2
