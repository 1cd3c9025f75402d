"""Every row the FHIR, HL7 v2 and ODS feeds emit from the real samples fits the
compiled ontology exactly: concrete labels, keys, known properties with the declared
datatype, pattern and code list, required properties, and allowed relationship pairs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, Outcome
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir, hl7v2, ods
from openfdp.ontology import Ontology, load_ontology
from tests.data_paths import GP_MAP, ITK_ADT, ODS_SPEND, PIPEHAT, PIPES, SMART_SAMPLE, UKCORE

pytestmark = pytest.mark.unit

PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "datetime": (datetime,),
    "float": (float, int),
    "string_list": (list,),
}


@pytest.fixture(scope="module")
def onto() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="module")
def ctx(onto: Ontology) -> MapContext:
    schemes = {name: dict(codes) for name, codes in onto.concept_schemes.items()}
    return MapContext(Pseudonymiser(b"test-key", "test-domain"), code_lists=schemes)


def node_problems(onto: Ontology, node: NodeRow) -> Iterator[str]:
    nt = onto.node_types.get(node.label)
    if nt is None:
        yield f"unknown label {node.label}"
        return
    if nt.abstract:
        yield f"abstract label {node.label}"
    if tuple(sorted(node.key)) != tuple(sorted(nt.key)):
        yield f"{node.label} key {sorted(node.key)}"
    values: dict[str, Any] = {**node.key, **node.props}
    for name in nt.required:
        if values.get(name) in (None, ""):
            yield f"{node.label} lacks required {name}"
    for name, value in values.items():
        spec = nt.properties.get(name)
        if spec is None:
            yield f"{node.label}.{name} not in the ontology"
            continue
        kind = spec.datatype
        if kind == "date" and (not isinstance(value, date) or isinstance(value, datetime)):
            yield f"{node.label}.{name} is {type(value).__name__}, not date"
        allowed = PY_TYPES.get(kind)
        if allowed and not isinstance(value, allowed):
            yield f"{node.label}.{name} is {type(value).__name__}, not {kind}"
        if kind == "datetime" and isinstance(value, datetime) and value.tzinfo is None:
            yield f"{node.label}.{name} is a naive datetime"
        if spec.pattern and not re.search(spec.pattern, str(value)):
            yield f"{node.label}.{name} does not match {spec.pattern}"
        if spec.code_list and str(value) not in onto.schemes[spec.code_list].codes:
            yield f"{node.label}.{name} not in code list {spec.code_list}"


def record_problems(onto: Ontology, rec: MappedRecord) -> Iterator[str]:
    for node in rec.nodes:
        yield from node_problems(onto, node)
    for rel in rec.rels:
        rt = onto.rel_types.get(rel.type)
        if rt is None:
            yield f"unknown relationship {rel.type}"
            continue
        start = onto.node_types[rel.start_label].labels
        end = onto.node_types[rel.end_label].labels
        if not any(s in start and e in end for s, e in rt.pairs):
            yield f"({rel.start_label})-[:{rel.type}]->({rel.end_label}) not allowed"
        for label, key in ((rel.start_label, rel.start_key), (rel.end_label, rel.end_key)):
            if tuple(sorted(key)) != tuple(sorted(onto.node_types[label].key)):
                yield f"{rel.type} end {label} has key {sorted(key)}"


FEEDS = {
    "fhir": (fhir.outcomes, [*SMART_SAMPLE, PIPES, UKCORE]),
    "hl7v2": (hl7v2.outcomes, [ITK_ADT, PIPEHAT]),
    "ods": (ods.outcomes, [ODS_SPEND, GP_MAP]),
}


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_every_row_fits_the_ontology(feed: str, onto: Ontology, ctx: MapContext) -> None:
    reader, folders = FEEDS[feed]
    outcomes: list[Outcome] = list(reader(folders, ctx))
    mapped = [o for o in outcomes if isinstance(o, MappedRecord)]
    assert mapped, "the feed mapped nothing"
    problems: dict[str, int] = {}
    for rec in mapped:
        for problem in record_problems(onto, rec):
            problems[problem] = problems.get(problem, 0) + 1
    assert problems == {}


def test_checker_catches_a_bad_row(onto: Ontology) -> None:
    bad = NodeRow("Encounter", {"encounter_id": "x"}, {"provider_ods": "not ods", "colour": 1})
    problems = list(node_problems(onto, bad))
    assert any("provider_ods does not match" in p for p in problems)
    assert any("colour not in the ontology" in p for p in problems)
    assert any("lacks required encounter_class" in p for p in problems)
    naive = NodeRow("Encounter", {"encounter_id": "x"}, {"start_date_time": datetime(2020, 1, 1)})
    assert any("naive datetime" in p for p in node_problems(onto, naive))
    as_text = NodeRow("Procedure", {"procedure_id": "x"}, {"procedure_date": "2020-01-01"})
    assert any("not date" in p for p in node_problems(onto, as_text))
    assert list(node_problems(onto, NodeRow("Organisation", {"ods_code": "RR8"})))


def test_reader_paths_may_be_files(ctx: MapContext) -> None:
    one = ITK_ADT / "A28_Example.txt"
    outcomes = list(hl7v2.outcomes([Path(one)], ctx))
    assert [type(o).__name__ for o in outcomes] == ["MappedRecord"]
    assert outcomes[0].position == "A28_Example.txt#msg1"
