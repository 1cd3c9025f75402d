"""The ODS reference feed on the real extracts: counts, the organisation hierarchy, code
formats and bad rows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from openfdp.loaders.mapping import ods as mapping
from openfdp.loaders.model import MapContext, MappedRecord, Outcome, Rejection, Skipped
from openfdp.loaders.readers import ods
from tests.data_paths import GP_MAP
from tests.data_paths import ODS_SPEND as SPEND

pytestmark = pytest.mark.unit
CTX = MapContext(pseudonymiser=None)


@pytest.fixture(scope="module")
def result() -> list[Outcome]:
    return list(ods.outcomes([SPEND, GP_MAP], CTX))


def record(result: list[Outcome], source: str, key: str) -> MappedRecord:
    return next(
        o
        for o in result
        if isinstance(o, MappedRecord) and o.source == source and o.record_key == key
    )


def test_counts(result: list[Outcome]) -> None:
    kinds = Counter((type(o).__name__, o.source) for o in result)
    assert kinds == {
        ("MappedRecord", "ods:etr"): 273,
        ("MappedRecord", "ods:eccg"): 248,
        ("Skipped", "ods:eccg"): 72,  # 35 commissioning hubs (RO218), 37 reporting entities
        ("MappedRecord", "ods:icb"): 42,
        ("MappedRecord", "ods:gp"): 6527,
    }
    skipped = Counter(o.reason for o in result if isinstance(o, Skipped))
    assert skipped == {"ODS role RO218 not mapped": 35, "ODS role RO327 not mapped": 37}


def test_files_load_in_dependency_order(result: list[Outcome]) -> None:
    order = list(dict.fromkeys(o.source for o in result))
    assert order == ["ods:icb", "ods:eccg", "ods:etr", "ods:gp"]


def test_trust_exact(result: list[Outcome]) -> None:
    rec = record(result, "ods:etr", "R0A")
    assert rec.position == "nhs-ods-jhau-nhs-spend/etr.csv:2"
    (trust,) = rec.nodes  # the ICB is referenced, not emitted: its own file names it
    assert (trust.label, trust.key) == ("NHSTrust", {"ods_code": "R0A"})
    assert trust.props == {
        "name": "MANCHESTER UNIVERSITY NHS FOUNDATION TRUST",
        "postcode_district": "M13",
    }
    (rel,) = rec.rels
    assert (rel.type, rel.start_key, rel.end_label, rel.end_key) == (
        "IN_ICB_GEOGRAPHY",
        {"ods_code": "R0A"},
        "ICB",
        {"ods_code": "QOP"},
    )
    assert record(result, "ods:etr", "G6V2S").nodes[0].label == "NHSTrust"  # 5-character code
    welsh = record(result, "ods:etr", "RQF")  # Welsh trusts have no ICB
    assert welsh.rels == [] and [n.label for n in welsh.nodes] == ["NHSTrust"]


def test_icb_and_sub_icb(result: list[Outcome]) -> None:
    (icb,) = record(result, "ods:icb", "QYG").nodes
    assert icb.props == {
        "name": "NHS Cheshire and Merseyside Integrated Care Board",
        "ons_code": "E54000008",
    }
    sub = record(result, "ods:eccg", "M1J4Y")
    assert sub.nodes[0].label == "SubICBLocation"
    assert [(r.type, r.end_label) for r in sub.rels] == [("PART_OF", "ICB")]


def test_gp_practice_hierarchy(result: list[Outcome]) -> None:
    rec = record(result, "ods:gp", "A81001")
    assert {(n.label, n.key["ods_code"]) for n in rec.nodes} == {
        ("GPPractice", "A81001"),
        ("PCN", "U89141"),
    }
    assert {(r.type, r.start_key["ods_code"], r.end_key["ods_code"]) for r in rec.rels} == {
        ("MEMBER_OF", "A81001", "U89141"),
        ("IN", "U89141", "16C"),
        ("PART_OF", "16C", "QHM"),
    }
    assert rec.nodes[0].props == {"name": "THE DENSHAM SURGERY"}
    unallocated = record(result, "ods:gp", "A84035")  # PCN_CODE "U": in no PCN
    assert "MEMBER_OF" not in {r.type for r in unallocated.rels}
    # 1,255 PCN codes in the file, "U" (unallocated) among them; 11 PCNs span two CCGs
    pcn_in = {
        (r.start_key["ods_code"], r.end_key["ods_code"])
        for o in result
        if isinstance(o, MappedRecord)
        for r in o.rels
        if r.type == "IN"
    }
    assert len({p for p, _ in pcn_in}) == 1254
    assert len(pcn_in) == 1265


ETR_CELLS = ["RXX", "SOME NHS TRUST", "Y56", "QMJ", *[""] * 5, "NW1 0PE", "20240101", *[""] * 10]
ETR_GOOD = ",".join(f'"{c}"' for c in [*ETR_CELLS, "1", "", "H", "", "", ""])


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (ETR_GOOD.replace('"RXX"', '"12345678"'), "organisation_code", "not an NHS trust ODS code"),
        (ETR_GOOD.replace('"QMJ"', '"BAD"'), "icb_code", "column 4 is not an ICB code (Q..)"),
        (ETR_GOOD.replace('"SOME NHS TRUST"', '""'), "name", "missing organisation name"),
        ('"RXX","SHORT"', None, "expected 27 columns, got 2"),
    ],
)
def test_bad_trust_rows(tmp_path: Path, line: str, field: str | None, reason: str) -> None:
    (tmp_path / "etr.csv").write_text(ETR_GOOD + "\n" + line + "\n")
    good, bad = ods.outcomes([tmp_path / "etr.csv"], CTX)
    assert isinstance(good, MappedRecord)
    assert bad == Rejection("ods:etr", "etr.csv:2", field, reason)


def test_bad_gp_rows(tmp_path: Path) -> None:
    header = (GP_MAP / "gp-reg-pat-prac-map.csv").read_text().splitlines()[:2]
    rows = [
        header[1].replace("A81001", "A8100"),
        header[1].replace("U89141", "X1"),
        header[1] + ",EXTRA",
    ]
    path = tmp_path / "gp-prac-map.csv"
    path.write_text("\n".join([header[0], *rows]) + "\n")
    result = list(ods.outcomes([path], CTX))
    assert [(o.position, o.field) for o in result if isinstance(o, Rejection)] == [
        ("gp-prac-map.csv:2", "PRACTICE_CODE"),
        ("gp-prac-map.csv:3", "PCN_CODE"),
        ("gp-prac-map.csv:4", None),
    ]


def test_unknown_csv_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    assert list(ods.outcomes([tmp_path], CTX)) == [
        Skipped("ods", f"{tmp_path.name}/other.csv", "not a recognised ODS extract")
    ]


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("RR8", "NHSTrust"),
        ("RCB55", "Site"),
        ("QOP", "ICB"),
        ("16C", "SubICBLocation"),
        ("M1J4Y", "SubICBLocation"),
        ("Y06601", "GPPractice"),
        ("U89141", "PCN"),
        ("GP5", None),
        ("", None),
        ("XYZHospC", None),
    ],
)
def test_org_label(code: str, label: str | None) -> None:
    assert mapping.org_label(code) == label


def test_surrogate_codes_are_stable_and_never_ods_shaped() -> None:
    code = mapping.surrogate_ods("https://github.com/synthetichealth/synthea", "abc")
    assert code == mapping.surrogate_ods("https://github.com/synthetichealth/synthea", "abc")
    assert len(code) == 10 and code.startswith("X") and mapping.org_label(code) is None
    assert mapping.is_surrogate(code) and not mapping.is_surrogate("RR8")
