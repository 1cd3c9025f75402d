"""HL7 v2 and FHIR amendments on the real Neo4j: a merge of two patient identities (ADT^A40),
a cancelled admission (ADT^A11), a cancelled discharge (ADT^A13) and a FHIR transaction
DELETE each change the facts an earlier record loaded, keep provenance, and replay to the
same graph when the same input is loaded again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from neo4j import Driver
from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir, hl7v2
from openfdp.ontology import Ontology, load_ontology
from openfdp.store.fingerprint import graph_fingerprint
from openfdp.store.schema import apply_ontology

pytestmark = pytest.mark.integration
Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture()
def graph(clean_graph: Driver, ontology: Ontology) -> Driver:
    apply_ontology(clean_graph, ontology)
    return clean_graph


def load(driver: Driver, ontology: Ontology, path: Path, reader: Reader) -> LoadSummary:
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"test-key", domain="test-domain"),
        ontology=ontology,
        source_ods="RCB",
    )
    summary = run_load(
        driver,
        source=reader.__module__.rsplit(".", 1)[1],
        outcomes=reader([path], ctx),
        ontology=ontology,
        input_fingerprint=fingerprint_files([path]),
        quarantine_dir=path.parent / "q",
        batch_size=500,
    )
    assert summary.reconciles and summary.quarantined == 0, summary.quarantined_by_reason
    return summary


def rows(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params)
    return [r.data() for r in records]


def adt(event: str, control: str, patient: str, *, visit: str = "", extra: str = "") -> str:
    """One ADT message of trust RCB; `patient` is the local identifier in PID-3."""
    pv1 = ["PV1", "1", "I", "RCB^WARD1^BED1^RCB55", "11"] + [""] * 14 + [f"{visit}^^^VISITID"]
    pv1 += [""] * 16 + ["1"] + [""] * 7 + ["20240301100000", "20240305120000"]
    if event in ("A01", "A11", "A13"):  # not discharged (yet)
        pv1[36], pv1[45] = "", ""
    segments = [
        f"MSH|^~\\&|PAS|RCB|ROUTE|ROUTE|20240306093000||ADT^{event}|{control}|P|2.4",
        "EVN||20240306092500",
        f"PID|1||{patient}^^^RCB^PI||SMITH^ANNA||19700101|F|||1 HIGH ST^^LEEDS^^LS1 4AB",
        "|".join(pv1),
    ]
    return "\r".join(segments + ([extra] if extra else [])) + "\r"


DG1 = "DG1|1||N39.3^Stress incontinence^ICD10||20240301100000|A"


def write(tmp_path: Path, name: str, *messages: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(messages), encoding="utf-8")
    return path


def test_a40_merge_moves_the_prior_identity_into_the_surviving_one_with_provenance(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    """HL7 v2.5 chapter 3, 3.3.40 (A40 merge patient - patient identifier list): MRG-1 is
    the prior identifier, PID-3 the surviving one; the prior identity's records now belong
    to the surviving identity, and the graph says which was merged into which, by which
    message."""
    path = write(
        tmp_path,
        "merge.hl7",
        adt("A01", "M1", "OLD77", visit="V1", extra=DG1),
        adt("A01", "M2", "NEW88", visit="V2"),
        adt("A40", "M3", "NEW88", extra="MRG|OLD77^^^RCB^PI"),
    )
    summary = load(graph, ontology, path, hl7v2.outcomes)
    assert summary.amendments == 1
    merged = rows(
        graph,
        "MATCH (p:PseudonymisedPerson)-[m:MERGED_INTO]->(s:PseudonymisedPerson) "
        "OPTIONAL MATCH (src:SourceRecord {source_record_id: m.merged_by_record}) "
        "RETURN p.pseudo_id AS prior, s.pseudo_id AS surviving, m.merged_at AS at, "
        "src.record_key AS record, COUNT { (p)-[:SUBJECT_OF]->() } AS left, "
        "[(s)-[:SUBJECT_OF]->(e) | e.encounter_id] AS encounters",
    )
    assert len(merged) == 1
    m = merged[0]
    assert m["record"] == "RCB:M3"  # the A40 message, kept as a SourceRecord
    assert m["left"] == 0 and sorted(m["encounters"]) == ["RCB:hl7:V1", "RCB:hl7:V2"]
    assert m["at"].to_native().isoformat() == "2024-03-06T09:25:00+00:00"  # EVN-2, GMT
    assert m["prior"] != m["surviving"]
    # pseudonymised: the raw local identifiers are nowhere in the graph
    raw = rows(
        graph,
        "MATCH (n) UNWIND keys(n) AS k WITH n[k] AS v "
        "WHERE toString(v) CONTAINS 'OLD77' OR toString(v) CONTAINS 'NEW88' RETURN count(*) AS c",
    )
    assert raw == [{"c": 0}]
    before = graph_fingerprint(graph)
    load(graph, ontology, path, hl7v2.outcomes)  # replaying the feed changes nothing
    assert graph_fingerprint(graph) == before


def test_a40_without_a_prior_identifier_is_quarantined(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    path = write(tmp_path, "bad.hl7", adt("A40", "B1", "NEW88", extra="MRG|"))
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"k", domain="d"), ontology=ontology, source_ods="RCB"
    )
    [outcome] = list(hl7v2.outcomes([path], ctx))
    assert getattr(outcome, "field", None) == "MRG-1"
    assert "no prior patient identifier" in getattr(outcome, "reason", "")


def test_a11_cancel_admit_removes_the_admission_and_what_it_owns(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    """HL7 v2.5 chapter 3, 3.3.11 (A11 cancel admit/visit notification): the A01 was entered
    in error or the patient was not admitted after all, so the visit's encounter and its
    diagnoses go; the person, the code list concept and other visits stay."""
    path = write(
        tmp_path,
        "cancel-admit.hl7",
        adt("A01", "C1", "P100", visit="V1", extra=DG1),
        adt("A01", "C2", "P100", visit="V2"),
        adt("A11", "C3", "P100", visit="V1"),
    )
    load(graph, ontology, path, hl7v2.outcomes)
    found = rows(graph, "MATCH (e:Encounter) RETURN e.encounter_id AS id")
    assert found == [{"id": "RCB:hl7:V2"}]
    assert rows(graph, "MATCH (d:Diagnosis) RETURN count(d) AS c") == [{"c": 0}]
    assert rows(graph, "MATCH (c:CodedConcept {code: 'N39.3'}) RETURN count(c) AS c") == [{"c": 1}]
    people = rows(graph, "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(e) RETURN count(e) AS c")
    assert people == [{"c": 1}]


def test_a13_cancel_discharge_reopens_the_visit(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    """HL7 v2.5 chapter 3, 3.3.13 (A13 cancel discharge/end visit): the A03 is cancelled,
    so the encounter has no end and no discharge method again; the admission stays."""
    path = write(
        tmp_path,
        "cancel-discharge.hl7",
        adt("A01", "D1", "P200", visit="V9"),
        adt("A03", "D2", "P200", visit="V9"),
    )
    load(graph, ontology, path, hl7v2.outcomes)
    query = (
        "MATCH (e:Encounter {encounter_id: 'RCB:hl7:V9'}) RETURN e.end_date_time IS NULL AS open, "
        "e.discharge_method_code AS method, e.start_date_time IS NOT NULL AS started"
    )
    assert rows(graph, query) == [{"open": False, "method": "1", "started": True}]
    cancel = write(tmp_path, "cancel.hl7", adt("A13", "D3", "P200", visit="V9"))
    load(graph, ontology, cancel, hl7v2.outcomes)
    assert rows(graph, query) == [{"open": True, "method": None, "started": True}]


def bundle(*entries: dict[str, Any]) -> str:
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": list(entries)})


def put(resource: dict[str, Any]) -> dict[str, Any]:
    ref = f"{resource['resourceType']}/{resource['id']}"
    return {
        "fullUrl": f"http://example.org/fhir/{ref}",
        "resource": resource,
        "request": {"method": "PUT", "url": ref},
    }


PATIENT = {"resourceType": "Patient", "id": "pat1", "gender": "female", "birthDate": "1970-01-01"}


def encounter(rid: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "status": "finished",
        "class": {"code": "IMP"},
        "subject": {"reference": "Patient/pat1"},
        "period": {"start": "2024-03-01T10:00:00Z"},
    }


def test_fhir_transaction_delete_removes_the_resource_facts(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    """FHIR R4 RESTful API 3.1.0.11.2 (transaction processing rules): an entry with
    request.method DELETE deletes the resource named by request.url, and a bundle's DELETE
    entries are processed before its POST/PUT entries."""
    first = tmp_path / "b1.json"
    first.write_text(bundle(put(PATIENT), put(encounter("enc1")), put(encounter("enc2"))))
    load(graph, ontology, first, fhir.outcomes)
    assert rows(graph, "MATCH (e:Encounter) RETURN count(e) AS c") == [{"c": 2}]
    second = tmp_path / "b2.json"
    # the PUT of enc2 comes first in the bundle, its DELETE after: DELETE is processed first
    second.write_text(
        bundle(
            put(PATIENT),
            put(encounter("enc2")),
            {"request": {"method": "DELETE", "url": "Encounter/enc1"}},
            {"request": {"method": "DELETE", "url": "Encounter/enc2"}},
        )
    )
    summary = load(graph, ontology, second, fhir.outcomes)
    assert summary.amendments == 2
    left = rows(graph, "MATCH (e:Encounter) RETURN e.encounter_id AS id")
    assert len(left) == 1 and left[0]["id"].endswith("enc2")
    subject = rows(graph, "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(e) RETURN count(e) AS c")
    assert subject == [{"c": 1}]
    deletion = rows(
        graph, "MATCH (s:SourceRecord {record_key: 'DELETE Encounter/enc1'}) RETURN s.source AS s"
    )
    assert deletion == [{"s": "fhir"}]  # the deletion keeps its own provenance
    third = tmp_path / "b3.json"
    third.write_text(bundle({"request": {"method": "DELETE", "url": "Patient/pat1"}}))
    load(graph, ontology, third, fhir.outcomes)
    assert rows(graph, "MATCH (p:PseudonymisedPerson) RETURN count(p) AS c") == [{"c": 0}]


def test_fhir_conditional_delete_is_quarantined(ontology: Ontology, tmp_path: Path) -> None:
    path = tmp_path / "cond.json"
    path.write_text(bundle({"request": {"method": "DELETE", "url": "Patient?identifier=x|1"}}))
    ctx = map_context(pseudonymiser=Pseudonymiser(key=b"k", domain="d"), ontology=ontology)
    [outcome] = list(fhir.outcomes([path], ctx))
    assert "conditional DELETE" in getattr(outcome, "reason", "")
