"""The waiting-list aggregate on the real Neo4j reconciles with a hand count of the generator's
answers by the RTT rules (tests/unit/test_rtt_rules.py cites each rule); the record-level
filters use exactly the aggregate's week boundaries."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.loaders.generate import AS_OF, generate
from openfdp.ontology import load_ontology
from openfdp.settings import Settings
from openfdp.store.queries import ics as q_ics
from openfdp.store.queries import pathways as q_pw
from openfdp.store.queries.ics import over_weeks_days
from openfdp.store.schema import apply_ontology
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.integration
BANDS = ((126, "0-18"), (364, "18-52"), (455, "52-65"), (546, "65-78"), (728, "78-104"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rtt")
    generate(out, data_dir=DATA, trusts=3, patients=700, seed=13)
    return out


@pytest.fixture()
def loaded(clean_graph: Driver, test_settings: Settings, generated: Path) -> Driver:
    onto = load_ontology()
    apply_ontology(clean_graph, onto, test_settings.neo4j.database)
    summary = load_feed("csv", [generated], cfg=test_settings, driver=clean_graph, ontology=onto)
    assert summary.reconciles and summary.quarantined == 0
    return clean_graph


def _band(days: int) -> str:
    return next((name for bound, name in BANDS if days <= bound), "104+")


def hand_count(answers: Path, as_of: date) -> dict[str, Counter[str]]:
    """Per provider, the RTT return's cells counted from the generator's answers: open clock
    periods only (transferred-out ones are the receiver's), unknown starts apart, within 18
    weeks = at most 126 days, over N weeks = more than 7N days."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with answers.open(newline="") as fh:
        for row in csv.DictReader(fh):
            c = counts[row["provider_ods"]]
            c["cases:" + row["case"]] += 1
            if row["expected_status"] != "open":
                continue
            if not row["expected_clock_start"]:
                c["unknown_start"] += 1
                continue
            days = (as_of - date.fromisoformat(row["expected_clock_start"])).days
            c["total"] += 1
            c[row["pathway_class"]] += 1
            c["band:" + _band(days)] += 1
            c["within_18"] += days <= 126
            for weeks in (52, 65, 78, 104):
                c[f"over_{weeks}"] += days > 7 * weeks
    return counts


def _aggregate(driver: Driver, provider: str, as_of: date) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        q_ics.WAITING_LIST,
        icb=None,
        provider=provider,
        providers=[provider],
        group_by="WEEKS_BAND",
        exclude_opted_out=False,
        as_of=as_of,
    )
    groups: list[dict[str, Any]] = records[0]["groups"]
    return groups


def test_waiting_list_reconciles_with_a_hand_count_of_the_generators_answers(
    loaded: Driver, generated: Path
) -> None:
    """RTT return (incomplete pathways by week band, unknown clock start apart, admitted /
    non-admitted) = the hand count of rtt_answers.csv, exactly, for every provider."""
    expected = hand_count(generated / "rtt_answers.csv", AS_OF)
    cases = Counter(k for c in expected.values() for k in c if k.startswith("cases:"))
    for case in (
        *("open", "stopped", "no_referral_date", "unknown_start", "transfer_sent"),
        *("transfer_received", "dna_communicated", "dna_not_communicated"),
        *("same_day_stop_first", "activity_before_10"),
    ):
        assert cases[f"cases:{case}"] > 0, f"the generated data exercise no {case} case"
    for provider, want in expected.items():
        groups = _aggregate(loaded, provider, AS_OF)
        got: Counter[str] = Counter()
        for g in groups:
            if g["key"] != "unknown start":
                got["band:" + g["key"]] += g["total"]
            for cell in ("total", "unknown_start", "admitted", "non_admitted", "within_18"):
                got[cell] += g[cell]
            for weeks in (52, 65, 78, 104):
                got[f"over_{weeks}"] += g[f"over_{weeks}"]
        mine = Counter({k: v for k, v in want.items() if not k.startswith("cases:") and v})
        assert +got == mine, provider


def _page_total(driver: Driver, provider: str, **bounds: int | None) -> int:
    params: dict[str, Any] = {
        "providers": [provider], "exclude_opted_out": False, "as_of": AS_OF, "icb": None,
        "provider": provider, "tfc": None, "status": "open", "min_days": None,
        "max_days": None, "inactive_days": None, "skip": 0, "limit": 1, "after": None,
    }  # fmt: skip
    params.update(bounds)
    records, _, _ = driver.execute_query(q_pw.PATHWAYS_PAGE["WEEKS_WAITING_DESC"], params)
    return int(records[0]["total"])


def test_record_level_week_filters_use_the_aggregates_boundaries(
    loaded: Driver, generated: Path
) -> None:
    """RTT return week bands: longWaiters(minWeeks: N) lists exactly the over-N-weeks count
    and maxWeeksWaiting: 18 exactly the within-18-weeks count (126 days is within)."""
    expected = hand_count(generated / "rtt_answers.csv", AS_OF)
    for provider, want in expected.items():
        for weeks in (18, 52, 65):
            over = _page_total(loaded, provider, min_days=over_weeks_days(weeks))
            cell = "total" if weeks == 18 else f"over_{weeks}"
            count = want[cell] - (want["within_18"] if weeks == 18 else 0)
            assert over == count, (provider, weeks)
        within = _page_total(loaded, provider, max_days=over_weeks_days(18))
        assert within == want["within_18"], provider


def test_transferred_pathway_leaves_the_senders_list_and_joins_the_receivers(
    loaded: Driver,
) -> None:
    """DD REFERRAL TO TREATMENT PERIOD, 21: after the transfer the sender no longer reports
    the pathway; the receiver reports it from the original clock start, with the transfer
    stored on the period."""
    records, _, _ = loaded.execute_query(
        "MATCH (p:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod {transferred_in: true})"
        "-[:TRANSFERRED_FROM]->(s:NHSTrust) "
        "MATCH (o:RTTPathway {ppid_issuer_ods: s.ods_code, ppid: left(p.ppid, size(p.ppid) - 1)})"
        "-[:HAS_PERIOD]->(x:RTTPeriod) "
        "RETURN p.pathway_status AS received, r.start_date AS start, r.status AS r_status, "
        "o.pathway_status AS sent, x.status AS x_status, x.start_date AS original, "
        "x.transferred_to_ods AS to, p.provider_ods AS receiver"
    )
    assert records, "the generated data hold transfers"
    for r in records:
        assert (r["received"], r["r_status"]) == ("open", "open")
        assert (r["sent"], r["x_status"]) == ("transferred_out", "transferred_out")
        assert r["start"] == r["original"] and r["to"] == r["receiver"]
