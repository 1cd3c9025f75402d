"""The pure side of the feed amendments: which HL7 v2 messages and FHIR transaction entries
become which amendments, and which are quarantined (no server needed)."""

from __future__ import annotations

import pytest

from openfdp.loaders.mapping.fhir_delete import map_delete
from openfdp.loaders.mapping.hl7v2 import map_message
from openfdp.loaders.model import (
    DeleteNode,
    DeleteRecordFacts,
    MapContext,
    MappedRecord,
    MergePersons,
    Rejection,
    Skipped,
    UnsetProperties,
)
from openfdp.loaders.privacy import Pseudonymiser

pytestmark = pytest.mark.unit
PSEUDO = Pseudonymiser(b"test-key", "test-domain")
CTX = MapContext(PSEUDO)
MAPPED = frozenset({"Patient", "Encounter"})


def adt(event: str, patient: str, *, visit: str = "", extra: str = "") -> str:
    pv1 = ["PV1", "1", "I", "RCB^WARD1^BED1^RCB55", "11"] + [""] * 14 + [f"{visit}^^^VISITID"]
    pv1 += [""] * 24 + ["20240301100000", "20240305120000"]
    segments = [
        f"MSH|^~\\&|PAS|RCB|ROUTE|ROUTE|20240306093000||ADT^{event}|X{event}|P|2.4",
        "EVN||20240306092500",
        f"PID|1||{patient}^^^RCB^PI||SMITH^ANNA||19700101|F",
        "|".join(pv1),
    ]
    return "\r".join(segments + ([extra] if extra else []))


def mapped(text: str) -> MappedRecord:
    result = map_message(text, position="m#msg1", ctx=CTX)
    assert isinstance(result, MappedRecord), result
    return result


def test_a11_deletes_the_encounter_of_its_visit_number() -> None:
    """HL7 v2.5 3.3.11: A11 cancels the A01 of the same visit (PV1-19)."""
    rec = mapped(adt("A11", "P1", visit="V1"))
    assert rec.amendments == [
        DeleteNode("Encounter", {"encounter_id": "RCB:hl7:V1"}, ("HAS_DIAGNOSIS", "HAD_PROCEDURE"))
    ]
    assert [n.label for n in rec.nodes] == ["PseudonymisedPerson"]  # no encounter re-created


def test_a13_reopens_the_visit_and_writes_no_discharge() -> None:
    """HL7 v2.5 3.3.13: A13 cancels the A03 of the same visit."""
    rec = mapped(adt("A13", "P1", visit="V1"))
    [unset] = rec.amendments
    assert unset == UnsetProperties(
        "Encounter", {"encounter_id": "RCB:hl7:V1"}, ("end_date_time", "discharge_method_code")
    )
    [enc] = [n for n in rec.nodes if n.label == "Encounter"]
    assert "end_date_time" not in enc.props and "start_date_time" in enc.props


@pytest.mark.parametrize("event", ["A11", "A13"])
def test_a_cancellation_without_a_visit_number_is_quarantined(event: str) -> None:
    result = map_message(adt(event, "P1"), position="m#msg1", ctx=CTX)
    assert isinstance(result, Rejection) and result.field == "PV1-19"


def test_a40_merges_the_mrg_identity_into_the_pid_identity() -> None:
    """HL7 v2.5 3.3.40: MRG-1 prior patient identifier list, PID-3 the surviving one."""
    rec = mapped(adt("A40", "NEW1", extra="MRG|OLD1^^^RCB^PI"))
    [merge] = rec.amendments
    assert isinstance(merge, MergePersons)
    old = PSEUDO.person_id(nhs_number=None, provider_ods="RCB", local_patient_id="OLD1")
    new = PSEUDO.person_id(nhs_number=None, provider_ods="RCB", local_patient_id="NEW1")
    assert merge.prior == PSEUDO.person_key(old) and merge.surviving == PSEUDO.person_key(new)
    assert merge.merged_at.isoformat() == "2024-03-06T09:25:00+00:00"
    assert "OLD1" not in repr(rec.nodes) + repr(rec.amendments)


def test_a40_merging_an_identity_into_itself_is_quarantined() -> None:
    result = map_message(adt("A40", "P1", extra="MRG|P1^^^RCB^PI"), position="m", ctx=CTX)
    assert isinstance(result, Rejection) and result.field == "MRG-1"


def test_fhir_delete_names_the_source_record_of_the_resource() -> None:
    """FHIR R4 3.1.0.11.2: request.url names the resource; an absolute URL works too."""
    for url in ("Encounter/e-1", "https://fhir.example.org/r4/Encounter/e-1"):
        rec = map_delete(url, position="b#entry[0]", mapped_types=MAPPED)
        assert isinstance(rec, MappedRecord)
        assert rec.amendments == [DeleteRecordFacts("fhir:Encounter/e-1")]
        assert rec.record_key == "DELETE Encounter/e-1" and rec.nodes == []


def test_fhir_delete_that_cannot_name_a_loaded_resource() -> None:
    cond = map_delete("Patient?identifier=x|1", position="p", mapped_types=MAPPED)
    assert isinstance(cond, Rejection) and "conditional" in cond.reason
    assert isinstance(map_delete(None, position="p", mapped_types=MAPPED), Rejection)
    assert isinstance(map_delete("Patient", position="p", mapped_types=MAPPED), Rejection)
    other = map_delete("Observation/o1", position="p", mapped_types=MAPPED)
    assert isinstance(other, Skipped)
