"""The compiled ontology defines every label, key, property and relationship in the graph
contract (docs/graph-model.md)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from openfdp.ontology import load_ontology
from tests.data_paths import TFC_TABLE

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
GRAPH_MODEL = REPO_ROOT / "docs" / "graph-model.md"


def _bullets(section: str) -> list[str]:
    """Markdown bullets of one '## ' section, continuation lines joined."""
    text = GRAPH_MODEL.read_text(encoding="utf-8").split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("- "):
            out.append(line[2:])
        elif line.startswith("  ") and out:
            out[-1] += " " + line.strip()
    return out


def _documented_nodes() -> dict[str, tuple[tuple[str, ...], set[str]]]:
    """label -> (key, other property names) as documented."""
    nodes: dict[str, tuple[tuple[str, ...], set[str]]] = {}
    for bullet in _bullets("Nodes"):
        m = re.match(r"`(\w+)`(.*)", bullet)
        if not m:
            continue
        label, rest = m.groups()
        head, _, tail = rest.partition("—")
        key_m = re.search(r"key \(?([^—]*?)\)?\s*(?:\(|$)", head.strip())
        key = tuple(re.findall(r"`(\w+)`", key_m.group(1))) if key_m else ("ods_code",)
        while re.search(r"\([^()]*\)", tail):
            tail = re.sub(r"\([^()]*\)", "", tail)
        tail = re.sub(r"`[^`]*`", "", tail).split(".")[0]
        props = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b", tail)) - {"e", "g"}
        nodes[label] = (key, props)
    return nodes


def _documented_rels() -> set[tuple[str, str, str]]:
    rels: set[tuple[str, str, str]] = set()
    for bullet in _bullets("Relationships"):
        start, prev_end, prev_stop = None, None, -1
        for m in re.finditer(r"(?:\(([\w| ]+)\))?-\[:(\w+)[^\]]*\]->\(([\w|]+)\)", bullet):
            if m.group(1):
                start = m.group(1)
            elif m.start() == prev_stop:  # chained: (A)-[:X]->(B)-[:Y]->(C)
                start = prev_end
            assert start, bullet
            for s in start.split("|"):
                for e in m.group(3).split("|"):
                    rels.add((s.strip(), m.group(2), e))
            prev_end, prev_stop = m.group(3), m.end()
    return rels


def test_every_documented_label_key_and_property_exists() -> None:
    onto = load_ontology()
    documented = _documented_nodes()
    assert len(documented) >= 30
    for label, (key, props) in documented.items():
        assert label in onto.node_types, label
        nt = onto.node_types[label]
        assert nt.key == key, (label, nt.key, key)
        missing = props - set(nt.properties)
        assert not missing, (label, missing)
        assert not nt.abstract, label


def test_organisations_carry_the_organisation_label() -> None:
    onto = load_ontology()
    for name in ("NHSTrust", "Site", "ICB", "SubICBLocation", "PCN", "GPPractice", "Supplier"):
        assert onto.node_types[name].labels == (name, "Organisation")
    assert onto.node_types["Organisation"].abstract


def test_record_level_nodes_carry_provider_ods() -> None:
    onto = load_ontology()
    for name in (
        "Referral",
        "RTTPathway",
        "RTTPeriod",
        "Appointment",
        "Theatre",
        "Bed",
        "StaffMember",
    ):
        assert onto.node_types[name].properties["provider_ods"].required


def test_every_documented_relationship_pair_is_allowed() -> None:
    onto = load_ontology()
    documented = _documented_rels()
    assert len(documented) >= 45
    for start, rel, end in documented:
        if start == "any loaded node":
            continue
        assert rel in onto.rel_types, rel
        pairs = onto.rel_types[rel].pairs
        assert (start, end) in pairs, (start, rel, end, pairs)


def test_documented_code_systems_are_concept_schemes() -> None:
    onto = load_ontology()
    for system in ("RTT_STATUS", "TFC", "PRIORITY_TYPE", "SNOMED", "ICD10", "OPCS4", "ROLE"):
        assert system in onto.concept_schemes


def test_rtt_status_has_the_17_national_codes() -> None:
    codes = load_ontology().code_list("RTT_STATUS")
    expected = ["10", "11", "12", "20", "21", "30", "31", "32", "33", "34", "35", "36"]
    expected += ["90", "91", "92", "98", "99"]
    assert sorted(codes) == expected
    assert codes["21"].startswith("Transfer")


def test_treatment_function_codes_match_the_nhs_table() -> None:
    """NHS Data Dictionary main specialty and treatment function codes (archive, May 2019)."""
    with TFC_TABLE.open(newline="", encoding="utf-8") as fh:
        rows = {row["code"]: row["title"] for row in csv.DictReader(fh)}
    tfc = load_ontology().code_list("TFC")
    assert len(rows) == 173
    assert dict(tfc) == rows
    assert tfc["110"] == "Trauma & Orthopaedics"


def test_small_code_lists() -> None:
    onto = load_ontology()
    assert dict(onto.code_list("PRIORITY_TYPE")) == {
        "1": "Routine",
        "2": "Urgent",
        "3": "Two Week Wait",
    }
    assert set(onto.code_list("SEX")) == {"1", "2", "9", "X"}
    assert set(onto.code_list("ATTENDED_OR_DNA")) == {"0", "2", "3", "4", "5", "6", "7"}


def test_datatypes_follow_the_contract_conventions() -> None:
    """Dates are Date, timestamps DateTime, flags Boolean, counts Integer (graph-model.md)."""
    onto = load_ontology()
    specs = {p.name: p for nt in onto.node_types.values() for p in nt.properties.values()}
    for name, spec in specs.items():
        if (
            name.endswith("_date")
            or name.startswith("breach_date_")
            or name in ("effective_from", "effective_to")
        ):
            assert spec.datatype == "date", name
        if name.endswith("_at") or name.endswith("_date_time"):
            assert spec.datatype == "datetime", name
        if (
            name.startswith("records_")
            or name.endswith("_minutes")
            or name in ("seq", "length_days", "year_of_birth")
        ):
            assert spec.datatype == "integer", name
    flags = (
        "nhs_number_verified",
        "ndoo_opt_out",
        "nullified",
        "is_primary",
        "cancelled_on_the_day",
        "active",
    )
    assert all(specs[f].datatype == "boolean" for f in flags)
    for name in ("data_quality_flags", "purposes", "data_categories"):
        assert specs[name].datatype == "string_list", name
    assert specs["value_amount"].datatype == "float"
    assert onto.rel_types["SAME_PERSON_AS"].properties["agreed"].datatype == "boolean"
