"""SHACL shapes: generated ones are current, and pySHACL accepts good sample graphs and
rejects bad ones for the right reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph

from openfdp.ontology import SHAPES_DIR, load_ontology
from openfdp.ontology.compile import ontology_graph, shapes_graph
from openfdp.ontology.shacl import check_shapes, to_shacl

pytestmark = pytest.mark.unit

PREFIXES = """@prefix ofdp: <https://openfdp.org/ontology#> .
@prefix ex: <https://example.org/data#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

PID = "a" * 64

VALID = (
    PREFIXES
    + f"""
ex:rr8 a ofdp:NHSTrust ; ofdp:ods_code "RR8" ; ofdp:name "Leeds Teaching Hospitals" ;
    ofdp:postcode_district "LS9" ; ofdp:IN_ICB_GEOGRAPHY ex:qwo .
ex:qwo a ofdp:ICB ; ofdp:ods_code "QWO" ; ofdp:ons_code "E54000054" .
ex:rr801 a ofdp:Site ; ofdp:ods_code "RR801" ; ofdp:PART_OF ex:rr8 .
ex:p1 a ofdp:PseudonymisedPerson ; ofdp:pseudonymisation_domain "wy-ics" ; ofdp:pseudo_id "{PID}" ;
    ofdp:cluster_id "{PID}" ; ofdp:year_of_birth 1961 ; ofdp:sex_code "2" ; ofdp:area_code "LS1" ;
    ofdp:SUBJECT_OF ex:path1 .
ex:path1 a ofdp:RTTPathway ; ofdp:ppid "PPI0001" ; ofdp:ppid_issuer_ods "RR8" ;
    ofdp:provider_ods "RR8" ;
    ofdp:treatment_function_code "110" ; ofdp:priority_type_code "1" ; ofdp:pathway_status "open" ;
    ofdp:referral_request_received_date "2025-01-06"^^xsd:date ;
    ofdp:ISSUED_BY ex:rr8 ; ofdp:HAS_EVENT ex:ev1 ; ofdp:HAS_PERIOD ex:per1 .
ex:ev1 a ofdp:RTTStatusEvent ; ofdp:event_id "e1" ; ofdp:provider_ods "RR8" ;
    ofdp:status_code "10" ;
    ofdp:activity_date "2025-01-06"^^xsd:date ; ofdp:seq 1 .
ex:per1 a ofdp:RTTPeriod ; ofdp:period_id "RR8:PPI0001:2025-01-06" ; ofdp:provider_ods "RR8" ;
    ofdp:start_date "2025-01-06"^^xsd:date ; ofdp:end_date "2025-03-01"^^xsd:date ;
    ofdp:status "closed" ;
    ofdp:stop_status_code "30" ; ofdp:length_days 54 ; ofdp:nullified false ;
    ofdp:data_quality_flags "late_entry" , "backdated" .
ex:ref1 a ofdp:Referral ; ofdp:referral_id "RR8:R1" ; ofdp:provider_ods "RR8" ;
    ofdp:TO_ORG ex:rr8 ; ofdp:STARTS ex:path1 .
ex:c30 a ofdp:CodedConcept ; ofdp:system "RTT_STATUS" ; ofdp:code "30" ;
    ofdp:display "First definitive treatment" .
"""
)


def conforms(data: str) -> tuple[bool, str]:
    g = Graph().parse(data=data, format="turtle")
    ok, _, text = validate(
        g, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="none"
    )
    return bool(ok), str(text)


def test_generated_shapes_are_current() -> None:
    committed = (SHAPES_DIR / "generated.ttl").read_text(encoding="utf-8")
    assert committed == to_shacl(load_ontology()), (
        "run `openfdp ontology export --format shacl --out openfdp/ontology/shapes/generated.ttl`"
    )


def test_shape_files_only_name_ontology_terms() -> None:
    shapes = {p.name: p.read_text(encoding="utf-8") for p in SHAPES_DIR.glob("*.ttl")}
    assert check_shapes(load_ontology(), shapes) == []
    shapes["extra.ttl"] = PREFIXES + (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "ex:s a sh:NodeShape ; sh:targetClass ofdp:Hospital ; sh:property [ sh:path ofdp:beds ] ."
    )
    problems = check_shapes(load_ontology(), shapes)
    assert problems == [
        "extra.ttl: ofdp:Hospital (sh:targetClass) is not in the ontology",
        "extra.ttl: ofdp:beds (sh:path) is not in the ontology",
    ]


def test_a_good_sample_graph_conforms() -> None:
    ok, report = conforms(VALID)
    assert ok, report


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('ofdp:name "Leeds Teaching Hospitals" ;', "", "MinCount"),  # required name
        ("ofdp:seq 1", 'ofdp:seq "one"', "DatatypeConstraint"),
        ('ofdp:ods_code "RR8"', 'ofdp:ods_code "rr8"', "Pattern"),
        ('ofdp:ods_code "QWO"', 'ofdp:ods_code "RR9"', "an ICB ODS code is Q"),
        ('ofdp:status_code "10"', 'ofdp:status_code "13"', "InConstraint"),
        (
            'ofdp:treatment_function_code "110"',
            'ofdp:treatment_function_code "C_110"',
            "InConstraint",
        ),
        ('ofdp:sex_code "2"', 'ofdp:sex_code "F"', "InConstraint"),
        (
            'ofdp:area_code "LS1"',
            'ofdp:area_code "LS1" ; ofdp:nhs_number "9434765919"',
            "ClosedConstraint",
        ),
        ('ofdp:end_date "2025-03-01"', 'ofdp:end_date "2024-12-01"', "cannot end before it starts"),
        ('ofdp:stop_status_code "30"', 'ofdp:stop_status_code "20"', "only statuses 30-36"),
        (
            "ofdp:PART_OF ex:rr8",
            "ofdp:PART_OF ex:qwo",
            "ClassConstraint",
        ),  # a site is part of a trust
        ('ofdp:system "RTT_STATUS"', 'ofdp:system "READ2"', "InConstraint"),
        ('ofdp:pseudo_id "' + PID + '"', 'ofdp:pseudo_id "943-476-5919"', "Pattern"),
    ],
)
def test_bad_sample_graphs_fail_for_the_right_reason(old: str, new: str, reason: str) -> None:
    assert old in VALID
    ok, report = conforms(VALID.replace(old, new, 1))
    assert not ok
    assert reason in report, report


def test_shapes_folder_is_packaged_next_to_sources() -> None:
    assert {p.name for p in Path(SHAPES_DIR).glob("*.ttl")} >= {"generated.ttl", "rules.ttl"}
