"""The synthetic extract generator: deterministic, realistic, and loadable."""

from __future__ import annotations

import csv
import hashlib
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from openfdp.loaders.generate import AS_OF, generate
from openfdp.loaders.generate.reference import wait_shapes
from openfdp.loaders.privacy import nhs_number_is_valid
from openfdp.loaders.rtt import derive_periods
from openfdp.loaders.rtt_clock import StatusEvent
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.unit


def digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))
    }


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(out, data_dir=DATA, trusts=3, patients=4000, seed=42)
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, data_dir=DATA, trusts=2, patients=300, seed=9)
    generate(b, data_dir=DATA, trusts=2, patients=300, seed=9)
    generate(c, data_dir=DATA, trusts=2, patients=300, seed=10)
    assert digest(a) == digest(b)
    assert digest(a) != digest(c)
    expected = {"waiting_list", "outpatient_appointments", "theatre_sessions", "theatre_bookings",
                "staff", "rosters", "wards_beds", "supplier_contracts",
                "data_processing_agreements", "opt_outs", "answers", "rtt_answers"}  # fmt: skip
    assert {n.split("-")[0].removesuffix(".csv") for n in digest(a)} == expected


def test_nhs_numbers_are_valid_test_numbers_with_some_missing_or_mistyped(big: Path) -> None:
    values = [
        r["nhs_number"] for p in big.glob("waiting_list-*.csv") for r in csv.DictReader(p.open())
    ]
    present = [v for v in values if v]
    assert all(v.startswith("999") for v in present)
    valid = sum(nhs_number_is_valid(v) for v in present)
    assert 0.02 < 1 - len(present) / len(values) < 0.2  # some not traced
    assert valid < len(present)  # a few keyed wrong
    assert valid / len(present) > 0.95


def test_people_attend_several_trusts_and_answers_cover_every_patient_row(big: Path) -> None:
    answers = list(csv.DictReader((big / "answers.csv").open()))
    trusts_of = defaultdict(set)
    for a in answers:
        trusts_of[a["true_person_id"]].add(a["provider_ods"])
    assert sum(len(t) > 1 for t in trusts_of.values()) > 100
    patient_rows = sum(
        1
        for p in big.glob("*.csv")
        if p.name.startswith(("waiting_list", "outpatient"))
        for _ in csv.DictReader(p.open())
    )
    assert len(answers) == patient_rows
    wl = next(iter(big.glob("waiting_list-*.csv")))
    first = next(csv.DictReader(wl.open()))
    key = f"{first['ppid_issuer_ods']}:{first['ppid']}:{first['event_seq']}"
    assert any(a["source_file"] == wl.name and a["row_key"] == key for a in answers)


def test_waits_follow_the_published_shape_per_trust(big: Path) -> None:
    events: dict[tuple[str, str], list[StatusEvent]] = defaultdict(list)
    tfc_of: dict[tuple[str, str], str] = {}
    referral: dict[tuple[str, str], date] = {}
    for p in big.glob("waiting_list-*.csv"):
        for r in csv.DictReader(p.open()):
            k = (r["ppid_issuer_ods"], r["ppid"])
            events[k].append(
                StatusEvent(
                    r["status_code"], date.fromisoformat(r["activity_date"]), int(r["event_seq"])
                )
            )
            tfc_of[k] = r["tfc"]
            if r["referral_received_date"]:
                referral[k] = date.fromisoformat(r["referral_received_date"])
    waits: dict[str, list[int]] = defaultdict(list)
    for k, evs in events.items():
        clock = derive_periods(evs, referral_date=referral.get(k))  # clock starts at referral
        period = clock.open_period
        days = None if period is None else period.waited_days(AS_OF)
        if days is not None:  # unknown clock starts are counted apart
            waits[k[0]].append(days)
    shapes = wait_shapes(DATA, list(waits))
    for trust, days in waits.items():
        mine = [s for s in shapes if s.trust == trust]
        size = sum(s.size for s in mine)
        published_within = sum(s.size * s.pct_within_18w for s in mine) / size
        within = sum(d <= 126 for d in days) / len(days)
        assert abs(within - published_within) < 0.06, trust
        median_weeks = statistics.median(days) / 7
        published_median = sum(s.size * s.median_weeks for s in mine) / size
        assert abs(median_weeks - published_median) < 3.5, trust


def test_a_new_run_replaces_extracts_of_an_earlier_one_and_nothing_else(tmp_path: Path) -> None:
    generate(tmp_path, data_dir=DATA, trusts=3, patients=50, seed=1)
    (tmp_path / "notes.csv").write_text("mine\n")
    generate(tmp_path, data_dir=DATA, trusts=1, patients=50, seed=1)
    trusts = {p.stem.split("-")[1] for p in tmp_path.glob("waiting_list-*.csv")}
    assert len(trusts) == 1
    assert (tmp_path / "notes.csv").read_text() == "mine\n"
