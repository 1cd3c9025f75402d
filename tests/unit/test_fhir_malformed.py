"""Malformed FHIR input becomes Rejections with a position and a reason; nothing raises."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from openfdp.loaders.model import MapContext, MappedRecord, Outcome, Rejection
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir
from tests.data_paths import AGUEDA

pytestmark = pytest.mark.unit
BUNDLE = AGUEDA
CTX = MapContext(Pseudonymiser(b"test-key", "test-domain"))
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"}],
    "name": [{"family": "Testperson", "given": ["Ann"]}],
    "birthDate": "1980-02-03",
    "gender": "female",
    "address": [{"postalCode": "LS1 4AP"}],
}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def run(tmp_path: Path, name: str, content: str | bytes) -> list[Outcome]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return list(fhir.outcomes([path], CTX))


def only_rejection(outcomes: list[Outcome]) -> Rejection:
    rejections = [o for o in outcomes if isinstance(o, Rejection)]
    assert len(rejections) == 1, outcomes
    return rejections[0]


def test_truncated_bundle_keeps_the_entries_before_the_cut(tmp_path: Path) -> None:
    data = BUNDLE.read_bytes()
    outcomes = run(tmp_path, "cut.json", data[: len(data) // 2])
    rejection = outcomes[-1]
    assert isinstance(rejection, Rejection)
    read = len(outcomes) - 1
    assert read > 10
    assert rejection.position == f"cut.json#entry[{read}]"
    assert rejection.reason == f"truncated JSON; {read} entries read before it"
    assert all(not isinstance(o, Rejection) for o in outcomes[:-1])


def test_garbage_json(tmp_path: Path) -> None:
    rejection = only_rejection(run(tmp_path, "bad.json", "{not json at all"))
    assert rejection.position == "bad.json#entry[0]"
    assert "JSON" in rejection.reason


def test_not_a_resource(tmp_path: Path) -> None:
    rejection = only_rejection(run(tmp_path, "list.json", "[1, 2, 3]"))
    assert (rejection.field, rejection.reason) == ("resourceType", "not a FHIR resource")


def test_malformed_xml(tmp_path: Path) -> None:
    rejection = only_rejection(run(tmp_path, "bad.xml", "<Patient xmlns='http://hl7.org/fhir'><id"))
    assert rejection.position == "bad.xml"
    assert rejection.reason.startswith("malformed FHIR XML")


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">]>'
        '<Patient xmlns="http://hl7.org/fhir"><id value="&a;"/></Patient>'
    )
    rejection = only_rejection(run(tmp_path, "bomb.xml", bomb))
    assert rejection.reason.startswith("malformed FHIR XML")


def test_missing_subject_and_broken_reference(tmp_path: Path) -> None:
    no_subject = {"resourceType": "Encounter", "id": "e1", "class": {"code": "AMB"}}
    broken = {**no_subject, "id": "e2", "subject": {"reference": "urn:uuid:nobody"}}
    outcomes = run(tmp_path, "b.json", json.dumps(bundle(no_subject, broken)))
    reasons = [(o.position, o.field, o.reason) for o in outcomes if isinstance(o, Rejection)]
    assert reasons == [
        ("b.json#entry[0]", "subject", "Encounter: missing Patient reference"),
        ("b.json#entry[1]", "subject", "Encounter: unresolved Patient reference"),
    ]


def test_unparseable_dates(tmp_path: Path) -> None:
    enc = {
        "resourceType": "Encounter",
        "id": "e1",
        "subject": {"reference": "urn:uuid:p1"},
        "period": {"start": "2020-13-45T10:00:00Z"},
    }
    born = {**PATIENT, "id": "p2", "birthDate": "yesterday"}
    outcomes = run(tmp_path, "d.json", json.dumps(bundle(PATIENT, enc, born)))
    assert isinstance(outcomes[0], MappedRecord)
    assert [(o.field, o.reason) for o in outcomes[1:] if isinstance(o, Rejection)] == [
        ("period.start", "Encounter: unparseable date/time"),
        ("birthDate", "Patient: unparseable date/time"),
    ]


def test_missing_id_and_wrong_shapes(tmp_path: Path) -> None:
    no_id = {"resourceType": "Patient"}
    wrong = {"resourceType": "Condition", "id": "c1", "subject": "Patient/p1", "code": 5}
    doc = {"resourceType": "Bundle", "entry": [{"resource": no_id}, {"resource": wrong}]}
    outcomes = run(tmp_path, "s.json", json.dumps(doc))
    assert [type(o).__name__ for o in outcomes] == ["Rejection", "Rejection"]
    assert isinstance(outcomes[0], Rejection) and outcomes[0].field == "id"


def test_rejection_reasons_hold_no_identifiers(tmp_path: Path) -> None:
    """A reference that embeds an NHS number is never echoed in a reason."""
    enc = {
        "resourceType": "Encounter",
        "id": "e1",
        "subject": {"reference": "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"},
    }
    rejection = only_rejection(run(tmp_path, "r.json", json.dumps(bundle(enc))))
    assert "9434765919" not in f"{rejection.field} {rejection.reason}"


def test_conditional_reference_by_nhs_number_resolves(tmp_path: Path) -> None:
    enc = {
        "resourceType": "Encounter",
        "id": "e1",
        "class": {"code": "EMER"},
        "subject": {"reference": "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"},
    }
    outcomes = run(tmp_path, "c.json", json.dumps(bundle(PATIENT, enc)))
    person, encounter = outcomes
    assert isinstance(person, MappedRecord) and isinstance(encounter, MappedRecord)
    assert encounter.rels[0].start_key == person.nodes[0].key
    assert encounter.nodes[0].props["encounter_class"] == "emergency"
    assert person.nodes[0].props["area_code"] == "LS1"


WEIRD: list[Any] = [None, 1, 1.5, True, "", "x", [], {}, [1], {"a": 1}, [None], {"reference": 5}]


def _mutate(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < 0.03:
                continue
            out[key] = rng.choice(WEIRD) if roll < 0.1 else _mutate(item, rng)
        return out
    if isinstance(value, list):
        return [_mutate(item, rng) for item in value]
    return value


def test_mutated_resources_never_raise(tmp_path: Path) -> None:
    """Real resources with random parts replaced by values of the wrong type or removed:
    every one is mapped, skipped or rejected, never an exception."""
    rng = random.Random(7)
    base = [e["resource"] for e in json.loads(BUNDLE.read_text())["entry"][:60]]
    entries = [_mutate(rng.choice(base), rng) for _ in range(1500)]
    doc = {"resourceType": "Bundle", "entry": [{"resource": r} for r in [base[0], *entries]]}
    outcomes = run(tmp_path, "fuzz.json", json.dumps(doc))
    assert len(outcomes) == 1501
    rejected = [o for o in outcomes if isinstance(o, Rejection)]
    assert rejected and not [o for o in rejected if "unmappable" in o.reason]
