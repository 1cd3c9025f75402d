"""`ontology.diff`: every kind of change is classified for the graph and for GraphQL."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from openfdp.ontology import SOURCE_DIR, Ontology, load_ontology
from openfdp.ontology.diff import diff

pytestmark = pytest.mark.unit


def edited(tmp_path: Path, file: str, *edits: tuple[str, str]) -> Ontology:
    folder = tmp_path / "src"
    if not folder.exists():
        shutil.copytree(SOURCE_DIR, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert re.search(old, text, flags=re.S), old
        text = re.sub(old, new, text, count=1, flags=re.S)
    path.write_text(text, encoding="utf-8")
    return load_ontology(folder)


def without_block(start: str) -> tuple[str, str]:
    """An edit that deletes the Turtle block starting with ``start`` (up to a blank line)."""
    return (re.escape(start) + r".*?\n\n", "")


def changes(new: Ontology) -> dict[str, tuple[str, str]]:
    result = diff(load_ontology(), new)
    return {f"{c.subject}: {c.detail}": (c.graph, c.graphql) for c in result.changes}


def test_identical_ontologies_have_no_changes() -> None:
    result = diff(load_ontology(), load_ontology())
    assert result.changes == () and not result.is_breaking


def test_removed_class_is_breaking_for_both(tmp_path: Path) -> None:
    new = edited(
        tmp_path,
        "provenance.ttl",
        without_block("ofdp:OntologyVersion a owl:Class"),
        without_block("ofdp:version a owl:DatatypeProperty"),
        without_block("ofdp:applied_at a owl:DatatypeProperty"),
    )
    found = changes(new)
    assert found["class OntologyVersion: class OntologyVersion removed"] == ("breaking", "breaking")
    pair = "(OntologyVersion)-[:DERIVED_FROM]->(SourceRecord)"
    assert found[f"relationship DERIVED_FROM: {pair} no longer allowed"] == ("breaking", "breaking")
    assert diff(load_ontology(), new).is_breaking


def test_added_optional_property_and_class_are_additive(tmp_path: Path) -> None:
    new = edited(
        tmp_path,
        "resource.ttl",
        (
            r"ofdp:bed_type a owl:DatatypeProperty",
            "ofdp:bed_colour a owl:DatatypeProperty ;\n"
            "    rdfs:domain ofdp:Bed ; rdfs:range xsd:string .\n\n"
            "ofdp:bed_type a owl:DatatypeProperty",
        ),
        (
            r"ofdp:Bed a owl:Class",
            "ofdp:Trolley a owl:Class ; owl:hasKey ( ofdp:trolley_id ) .\n"
            "ofdp:trolley_id a owl:DatatypeProperty ; rdfs:domain ofdp:Trolley ;"
            " rdfs:range xsd:string .\n\nofdp:Bed a owl:Class",
        ),
    )
    found = changes(new)
    assert found["property Bed.bed_colour: optional property bed_colour added"] == (
        "additive",
        "additive",
    )
    assert found["class Trolley: class Trolley added"] == ("additive", "additive")
    assert not diff(load_ontology(), new).is_breaking


def test_required_property_added_breaks_the_graph_not_graphql(tmp_path: Path) -> None:
    new = edited(
        tmp_path,
        "resource.ttl",
        (r"(ofdp:Bed a owl:Class .*?ofdp:required ofdp:provider_ods)", r"\1 , ofdp:bed_type"),
    )
    assert changes(new)["property Bed.bed_type: now required"] == ("breaking", "additive")


def test_key_change_narrowed_type_removed_code_and_optional_now(tmp_path: Path) -> None:
    edited(
        tmp_path,
        "resource.ttl",
        (r"owl:hasKey \( ofdp:ward_id \)", "owl:hasKey ( ofdp:ward_code )"),
    )
    edited(
        tmp_path,
        "provenance.ttl",
        (r"(ofdp:records_read .*?rdfs:range) xsd:integer", r"\1 xsd:string"),
    )
    edited(tmp_path, "codelists.ttl", without_block("ofdp:PRIORITY_TYPE_3 a skos:Concept"))
    new = edited(
        tmp_path,
        "pathway.ttl",
        (
            r"ofdp:required ofdp:provider_ods , ofdp:status_code , ofdp:activity_date",
            "ofdp:required ofdp:provider_ods , ofdp:status_code",
        ),
    )
    found = changes(new)
    assert found["class Ward: key (ward_id) -> (ward_code)"] == ("breaking", "breaking")
    assert found["property LoadBatch.records_read: datatype integer -> string"] == (
        "breaking",
        "breaking",
    )
    assert found["code PRIORITY_TYPE 3: code 3 (Two Week Wait) removed"] == ("breaking", "breaking")
    assert found["property RTTStatusEvent.activity_date: no longer required"] == (
        "additive",
        "breaking",
    )


def test_widening_is_additive_for_the_graph_only(tmp_path: Path) -> None:
    new = edited(
        tmp_path,
        "resource.ttl",
        (r"(ofdp:planned_minutes .*?rdfs:range) xsd:integer", r"\1 xsd:decimal"),
    )
    assert changes(new)["property TheatreSession.planned_minutes: datatype integer -> float"] == (
        "additive",
        "breaking",
    )


def test_new_pair_turning_a_field_into_a_union_breaks_graphql(tmp_path: Path) -> None:
    new = edited(
        tmp_path,
        "resource.ttl",
        (
            r"(ofdp:IN_WARD .*?rdfs:range) ofdp:Ward",
            r"\1 [ owl:unionOf ( ofdp:Ward ofdp:Theatre ) ]",
        ),
    )
    found = changes(new)
    assert found["relationship IN_WARD: (Bed)-[:IN_WARD]->(Theatre) now allowed"] == (
        "additive",
        "breaking",
    )


def test_new_code_is_additive(tmp_path: Path) -> None:
    new = edited(
        tmp_path,
        "codelists.ttl",
        (
            r"(ofdp:SEX_X a skos:Concept)",
            "ofdp:SEX_0 a skos:Concept ; skos:inScheme ofdp:SEX ;"
            ' skos:notation "0" ; skos:prefLabel "Not stated"@en .\n\n\\1',
        ),
    )
    assert changes(new)["code SEX 0: code 0 (Not stated) added"] == ("additive", "additive")
