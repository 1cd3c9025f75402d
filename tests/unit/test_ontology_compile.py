"""The compiler: a small ontology compiles to the expected model; each kind of mistake is a
clear OntologyError naming the file and the term."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from openfdp.ontology import SOURCE_DIR, OntologyError, compile_sources, load_ontology

pytestmark = pytest.mark.unit

HEAD = """@prefix ofdp: <https://openfdp.org/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

CORE = (
    HEAD
    + """
ofdp:abstract a owl:AnnotationProperty .
ofdp:required a owl:AnnotationProperty .
ofdp:codeList a owl:AnnotationProperty .
ofdp:indexed a owl:AnnotationProperty .
ofdp:multiValued a owl:AnnotationProperty .
ofdp:edgeProperty a owl:AnnotationProperty .
ofdp:pattern a owl:AnnotationProperty .
"""
)

ORG = (
    HEAD
    + """
ofdp:Organisation a owl:Class ; ofdp:abstract true ; owl:hasKey ( ofdp:ods_code ) .
ofdp:NHSTrust a owl:Class ; rdfs:subClassOf ofdp:Organisation ; ofdp:required ofdp:name ;
    rdfs:comment "A trust." .
ofdp:Site a owl:Class ; rdfs:subClassOf ofdp:Organisation .
ofdp:Person a owl:Class ; owl:hasKey ( ofdp:domain ofdp:pseudo_id ) .
ofdp:ods_code a owl:DatatypeProperty ; rdfs:domain ofdp:Organisation ; rdfs:range xsd:string ;
    ofdp:pattern "^[A-Z0-9]{3,5}$" .
ofdp:name a owl:DatatypeProperty ; rdfs:domain ofdp:Organisation ; rdfs:range xsd:string .
ofdp:domain a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:string .
ofdp:pseudo_id a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:string .
ofdp:sex_code a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:string ;
    ofdp:codeList ofdp:SEX .
ofdp:flags a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:string ;
    ofdp:multiValued true .
ofdp:born a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:date ;
    ofdp:indexed true .
ofdp:weight a owl:DatatypeProperty ; rdfs:range xsd:double .
ofdp:PART_OF a owl:ObjectProperty ; rdfs:domain ofdp:Site ; rdfs:range ofdp:NHSTrust .
ofdp:SEEN_AT a owl:ObjectProperty ; rdfs:domain ofdp:Person ;
    rdfs:range [ owl:unionOf ( ofdp:Site ofdp:NHSTrust ) ] ; ofdp:edgeProperty ofdp:weight .
ofdp:SEX a skos:ConceptScheme .
ofdp:SEX_1 a skos:Concept ; skos:inScheme ofdp:SEX ; skos:notation "1" ; skos:prefLabel "Male" .
ofdp:SEX_2 a skos:Concept ; skos:inScheme ofdp:SEX ; skos:notation "2" ; skos:prefLabel "Female" .
"""
)


def small(**extra: str) -> dict[str, str]:
    files = {"core.ttl": CORE, "org.ttl": ORG}
    files.update({name: HEAD + text for name, text in extra.items()})
    return files


def test_small_ontology_compiles_to_the_expected_model() -> None:
    onto = compile_sources(small())
    trust = onto.node_types["NHSTrust"]
    assert trust.labels == ("NHSTrust", "Organisation")
    assert trust.key == ("ods_code",)
    assert not trust.abstract and onto.node_types["Organisation"].abstract
    assert trust.properties["ods_code"].is_key and trust.properties["ods_code"].required
    assert trust.properties["name"].required
    assert not onto.node_types["Site"].properties["name"].required  # required is per class
    assert trust.description == "A trust."
    person = onto.node_types["Person"]
    assert person.key == ("domain", "pseudo_id")
    assert person.properties["sex_code"].code_list == "SEX"
    assert person.properties["flags"].datatype == "string_list"
    assert person.properties["born"].datatype == "date" and person.properties["born"].indexed
    assert onto.rel_types["PART_OF"].pairs == (("Site", "NHSTrust"),)
    seen = onto.rel_types["SEEN_AT"]
    assert seen.pairs == (("Person", "NHSTrust"), ("Person", "Site"))
    assert seen.properties["weight"].datatype == "float"
    assert dict(onto.code_list("SEX")) == {"1": "Male", "2": "Female"}
    assert len(onto.version) == 16


def test_model_is_immutable() -> None:
    onto = compile_sources(small())
    with pytest.raises(FrozenInstanceError):
        onto.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        onto.node_types["X"] = onto.node_types["Site"]  # type: ignore[index]
    with pytest.raises(TypeError):
        onto.concept_schemes["SEX"]["3"] = "x"  # type: ignore[index]


def test_version_ignores_formatting_but_not_content() -> None:
    base = compile_sources(small()).version
    reformatted = {k: "# a comment\n" + v.replace(" ;", " ;\n  ") for k, v in small().items()}
    assert compile_sources(reformatted).version == base
    renamed = small()
    renamed["org.ttl"] = renamed["org.ttl"].replace('"Female"', '"Woman"')
    assert compile_sources(renamed).version != base


def test_unknown_code_list_is_an_error() -> None:
    with pytest.raises(OntologyError, match=r"unknown code list 'NOPE'.*SEX"):
        compile_sources(small()).code_list("NOPE")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "ofdp:Ward a owl:Class ; rdfs:subClassOf ofdp:Plac3 .",
            r"bad\.ttl: ofdp:Plac3: unknown term",
        ),
        (
            "ofdp:Ward a owl:Class .",
            r"bad\.ttl: ofdp:Ward: class has no key: add owl:hasKey .* or mark it ofdp:abstract",
        ),
        (
            "ofdp:Ward a owl:Class ; owl:hasKey ( ofdp:ward_id ) .\n"
            "ofdp:ward_id a owl:DatatypeProperty ; rdfs:domain ofdp:Ward ;"
            " rdfs:range xsd:hexBinary .",
            r"bad\.ttl: ofdp:ward_id: unsupported range xsd:hexBinary",
        ),
        (
            "ofdp:A a owl:Class ; rdfs:subClassOf ofdp:B ; ofdp:abstract true .\n"
            "ofdp:B a owl:Class ; rdfs:subClassOf ofdp:A ; ofdp:abstract true .",
            r"bad\.ttl: ofdp:A: subclass cycle: A -> B -> A",
        ),
        (
            "ofdp:Site a owl:Class ; rdfs:subClassOf ofdp:Organisation .",
            r"ofdp:Site: duplicate declaration \(also declared in (bad|org)\.ttl\)",
        ),
        (
            "@prefix ex: <https://example.org/x#> .\n"
            "ex:Site a owl:Class ; owl:hasKey ( ofdp:ods_code ) .",
            r"duplicate name 'Site' \(also <https://example.org/x#Site>\)",
        ),
        (
            "ofdp:name a owl:Class ; ofdp:abstract true .",
            r"ofdp:name: duplicate declaration|declared as both",
        ),
        (
            "ofdp:Ward a owl:Class ; owl:hasKey ( ofdp:name ) .",
            r"ofdp:Ward: key property ofdp:name is not a property of Ward",
        ),
        (
            "ofdp:Ward a owl:Class ; owl:hasKey ( ofdp:ods_code ) ; ofdp:required ofdp:born .\n",
            r"ofdp:Ward: key property ofdp:ods_code is not a property of Ward",
        ),
        (
            "ofdp:X a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:string ;"
            " ofdp:codeList ofdp:NHS_COLOURS .",
            r"bad\.ttl: ofdp:NHS_COLOURS: unknown term",
        ),
        (
            'ofdp:SEX_3 a skos:Concept ; skos:inScheme ofdp:SEX ; skos:notation "1" ;'
            ' skos:prefLabel "Other" .',
            r"bad\.ttl: ofdp:SEX_3: duplicate code '1' in scheme SEX",
        ),
        (
            "ofdp:R a owl:ObjectProperty ; rdfs:domain ofdp:Site .",
            r"ofdp:R: an object property needs an rdfs:domain and an rdfs:range",
        ),
        ("ofdp:Ward a owl:Class ; owl:hasKey ( ofdp:ods_code ", r"bad\.ttl: not valid Turtle"),
        (
            "ofdp:P a owl:DatatypeProperty ; rdfs:domain ofdp:Person ; rdfs:range xsd:string ;"
            ' ofdp:pattern "([" .',
            r"ofdp:P: ofdp:pattern '\(\[' is not a valid regular expression",
        ),
    ],
)
def test_mistakes_are_clear_errors_naming_file_and_term(extra: str, message: str) -> None:
    with pytest.raises(OntologyError, match=message):
        compile_sources(small(**{"bad.ttl": extra}))


def test_missing_or_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match="does not exist"):
        load_ontology(tmp_path / "nope")
    with pytest.raises(OntologyError, match=r"holds no \.ttl files"):
        load_ontology(tmp_path)


def test_default_ontology_is_cached_and_a_copied_folder_compiles_the_same(tmp_path: Path) -> None:
    assert load_ontology() is load_ontology()
    for f in SOURCE_DIR.glob("*.ttl"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    copy = load_ontology(tmp_path)
    assert copy is not load_ontology()
    assert copy.version == load_ontology().version
