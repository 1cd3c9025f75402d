"""The FHIR feed on real third-party samples (tests/data_paths.py): counts, exact mappings,
references across files, and that no raw identifier reaches a node or relationship."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from openfdp.loaders.mapping.fhir_common import as_list
from openfdp.loaders.mapping.ods import surrogate_ods
from openfdp.loaders.model import (
    MapContext,
    MappedRecord,
    NodeRow,
    Outcome,
    Rejection,
    RelRow,
    Skipped,
)
from openfdp.loaders.privacy import Pseudonymiser, looks_like_valid_nhs_number, normalise_postcode
from openfdp.loaders.readers import fhir
from openfdp.loaders.readers.fhir_xml import read_entries
from tests.data_paths import AGUEDA, PIPES, SMART_SAMPLE, UKCORE

pytestmark = pytest.mark.unit
PSEUDO = Pseudonymiser(b"test-key", "test-domain")


@pytest.fixture(scope="module")
def ctx() -> MapContext:
    return MapContext(PSEUDO, code_lists={"TFC": {"110": "Trauma and orthopaedic surgery"}})


@pytest.fixture(scope="module")
def smart(ctx: MapContext) -> list[Outcome]:
    return list(fhir.outcomes(SMART_SAMPLE, ctx))


@pytest.fixture(scope="module")
def pipes(ctx: MapContext) -> list[Outcome]:
    return list(fhir.outcomes([PIPES], ctx))


@pytest.fixture(scope="module")
def ukcore(ctx: MapContext) -> list[Outcome]:
    return list(fhir.outcomes([UKCORE], ctx))


def kinds(outcomes: Iterable[Outcome]) -> Counter[str]:
    return Counter(type(o).__name__ for o in outcomes)


def mapped(outcomes: Iterable[Outcome]) -> list[MappedRecord]:
    return [o for o in outcomes if isinstance(o, MappedRecord)]


def nodes(outcomes: Iterable[Outcome], label: str) -> list[NodeRow]:
    return [n for rec in mapped(outcomes) for n in rec.nodes if n.label == label]


def rels(outcomes: Iterable[Outcome], rel_type: str) -> list[RelRow]:
    return [r for rec in mapped(outcomes) for r in rec.rels if r.type == rel_type]


def by_key(outcomes: Iterable[Outcome], record_key: str) -> MappedRecord:
    return next(o for o in mapped(outcomes) if o.record_key == record_key)


def test_smart_on_fhir_counts(smart: list[Outcome]) -> None:
    # 1,260 entries: the 1,086 of the 10 bundles (tests/data/synthea-r4-smart-on-fhir/README.md)
    # + the 87 + 87 of the shared files; Organization/Practitioner 12 in-bundle + 87 shared each
    assert len(smart) == 1260
    assert kinds(smart) == {"MappedRecord": 392, "Skipped": 863, "Rejection": 5}
    labels = Counter(rec.nodes[0].label for rec in mapped(smart))
    assert labels == {
        "Encounter": 110,
        "Procedure": 34,  # 39 less the 5 rejected
        "Diagnosis": 40,
        "Site": 99,
        "StaffMember": 99,
        "PseudonymisedPerson": 10,
    }
    skipped = Counter(o.reason for o in smart if isinstance(o, Skipped))
    assert skipped["resource type Observation not mapped"] == 578
    assert skipped["resource type Claim not mapped"] == 134
    rejected = {o.reason for o in smart if isinstance(o, Rejection)}
    # five Synthea procedures carry a LOINC code ("34552-0") under the SNOMED CT system
    assert rejected == {"Procedure: no valid OPCS4 or SNOMED coding"}


def test_smart_on_fhir_organisations_merge_across_bundles(smart: list[Outcome]) -> None:
    sites = {n.key["ods_code"] for n in nodes(smart, "Site")}
    assert len(sites) == 87  # the 12 in-bundle copies are all among the 87 shared ones
    staff = {n.key["staff_id"] for n in nodes(smart, "StaffMember")}
    assert len(staff) == 87


def test_synthea_encounter_exact(smart: list[Outcome]) -> None:
    enc = by_key(smart, "Encounter/f7782dc0-ddcd-4206-a884-c0050a3cf267")
    node = enc.nodes[0]
    org = surrogate_ods(
        "https://github.com/synthetichealth/synthea", "ba69f8f6-7c41-4c42-9077-1956476c9bba"
    )
    assert node.key == {"encounter_id": "fhir:Encounter/f7782dc0-ddcd-4206-a884-c0050a3cf267"}
    assert node.props == {
        "encounter_class": "ambulatory",
        "start_date_time": datetime(1991, 5, 30, 11, 12, 25, tzinfo=UTC),
        "end_date_time": datetime(1991, 5, 30, 11, 27, 25, tzinfo=UTC),
        "source_system": "fhir",
        "provider_ods": org,  # no ODS code and no --source: the organisation's surrogate
    }
    person = PSEUDO.person_id(
        nhs_number=None,
        provider_ods=surrogate_ods("patient-id-issuer", "http://hospital.smarthealthit.org"),
        local_patient_id="90c5be84-56fe-4319-99c9-80b408518fe7",
    )
    assert {(r.type, r.end_label, tuple(r.end_key.values())) for r in enc.rels} == {
        ("SUBJECT_OF", "Encounter", (node.key["encounter_id"],)),
        ("AT_ORGANISATION", "Site", (org,)),
    }
    assert next(r for r in enc.rels if r.type == "SUBJECT_OF").start_key["pseudo_id"] == person


def test_synthea_condition_links_through_its_encounter(smart: list[Outcome]) -> None:
    rec = by_key(smart, "Condition/37750e3a-a585-41a2-967e-18343148501e")
    diagnosis = rec.nodes[0]
    assert diagnosis.props["code_system"] == "SNOMED"
    assert diagnosis.props["code"] == "40055000"
    assert diagnosis.props["diagnosis_date"] == date(2002, 8, 12)
    (has,) = [r for r in rec.rels if r.type == "HAS_DIAGNOSIS"]
    assert has.start_key == {"encounter_id": "fhir:Encounter/4b8ecb1b-4a35-40be-a232-e946b0d1ec1d"}
    (coded,) = [r for r in rec.rels if r.type == "CODED_AS"]
    assert coded.end_key == {"system": "SNOMED", "code": "40055000"}


def test_data_pipes_conditional_references_resolve_across_files(pipes: list[Outcome]) -> None:
    # 777 entries: 142 Organizations + 142 Locations, 142 Practitioners + 142 PractitionerRoles
    # and the 209 of Celesta195's bundle, 33 of them Encounters (tests/data README)
    assert kinds(pipes) == {"MappedRecord": 460, "Skipped": 317}
    encounters = nodes(pipes, "Encounter")
    assert len(encounters) == 33
    shared_sites = {
        n.key["ods_code"]
        for rec in mapped(pipes)
        if rec.position.startswith("synthea-r4-fhir-data-pipes/hospitalInformation")
        for n in rec.nodes
    }
    at_org = rels(pipes, "AT_ORGANISATION")
    assert len(at_org) == 2 * 33  # serviceProvider and location, both resolved
    assert {r.end_key["ods_code"] for r in at_org} <= shared_sites
    jordan = surrogate_ods(
        "https://github.com/synthetichealth/synthea", "b0360d7f-9c72-3a9e-adad-8c4bcc0c2679"
    )
    enc = by_key(pipes, "Encounter/36721205-568c-3114-0183-c35552d1a630")
    assert enc.nodes[0].props["encounter_class"] == "ambulatory"
    assert enc.nodes[0].props["provider_ods"] == jordan


def test_bundles_without_their_shared_files_reject_broken_references(ctx: MapContext) -> None:
    outcomes = list(fhir.outcomes([PIPES / "bundles"], ctx))
    broken = [o for o in outcomes if isinstance(o, Rejection)]
    reasons = Counter(o.reason for o in broken)
    assert reasons["Encounter: unresolved Organization reference"] == 33
    assert all(o.position.startswith("bundles/") and "#entry[" in o.position for o in broken)


def test_uk_core_patient_exact(ukcore: list[Outcome]) -> None:
    rec = by_key(ukcore, "Patient/UKCore-Patient-RichardSmith-Example")
    person = rec.nodes[0]
    pseudo_id = PSEUDO.person_id(nhs_number="9912003888")
    assert person.key == {"pseudonymisation_domain": "test-domain", "pseudo_id": pseudo_id}
    assert person.props == {
        "year_of_birth": 1970,
        "sex_code": "1",
        "area_code": "LS17",
        "nhs_number_verified": True,
        "cluster_id": pseudo_id,
    }
    (evidence,) = rec.identities
    assert evidence.nhs_number == "9912003888"
    assert (evidence.given_name, evidence.family_name) == ("Richard", "SMITH")
    assert (evidence.birth_date, evidence.postcode) == ("1970-09-11", "LS17 7DF")
    assert "9912003888" not in repr(evidence)


def test_uk_core_invalid_nhs_number_is_not_used(ukcore: list[Outcome]) -> None:
    baby = by_key(ukcore, "Patient/UKCore-Patient-BabyPatient-Example")
    assert baby.nodes[0].props["nhs_number_verified"] is False
    assert baby.identities[0].nhs_number is None


def test_uk_core_encounter_appointment_and_sites(ukcore: list[Outcome]) -> None:
    # 32 example files: 22 of mapped types; the 9 others and the NEWS2 Bundle's 8 entries skipped
    assert kinds(ukcore) == {"MappedRecord": 22, "Skipped": 17}
    person = {
        "pseudonymisation_domain": "test-domain",
        "pseudo_id": PSEUDO.person_id(nhs_number="9912003888"),
    }
    enc = by_key(ukcore, "Encounter/UKCore-Encounter-InpatientEncounter-Example")
    props = enc.nodes[0].props
    assert props["encounter_class"] == "inpatient"
    assert (props["admission_method_code"], props["discharge_method_code"]) == ("13", "1")
    assert props["provider_ods"] == "RR8"
    assert props["start_date_time"] == datetime(2019, 12, 10, 13, 0, tzinfo=UTC)
    targets = {(r.type, r.end_label, r.end_key.get("ods_code")) for r in enc.rels}
    assert targets == {
        ("SUBJECT_OF", "Encounter", None),
        ("AT_ORGANISATION", "NHSTrust", "RR8"),
        ("AT_ORGANISATION", "Site", "RR8D7"),
    }
    assert next(r for r in enc.rels if r.type == "SUBJECT_OF").start_key == person
    appt = by_key(ukcore, "Appointment/UKCore-Appointment-OrthopaedicSurgery-Example")
    assert appt.nodes[0].props == {
        "appointment_date": date(2022, 3, 11),
        "first_attendance_code": "2",
        "treatment_function_code": "110",
        "consultation_medium_code": "01",
        "provider_ods": "RR8",
    }
    assert {(r.type, r.end_label) for r in appt.rels} == {
        ("SUBJECT_OF", "Appointment"),
        ("AT_SITE", "Site"),
    }
    part_of = {(r.start_key["ods_code"], r.end_key["ods_code"]) for r in rels(ukcore, "PART_OF")}
    assert part_of == {("RR813", "RR8"), ("RR8D7", "RR8"), ("RR8G5", "RR8")}
    trust = next(n for n in nodes(ukcore, "NHSTrust"))
    assert trust.props == {"name": "LEEDS TEACHING HOSPITALS NHS TRUST", "postcode_district": "LS9"}


def test_source_ods_scopes_keys_and_provider(ctx: MapContext) -> None:
    scoped = MapContext(PSEUDO, source_ods="RR8")
    outcomes = list(fhir.outcomes([AGUEDA], scoped))
    enc = nodes(outcomes, "Encounter")[0]
    assert enc.key["encounter_id"].startswith("RR8:fhir:Encounter/")
    assert {n.props["provider_ods"] for n in nodes(outcomes, "Encounter")} == {"RR8"}


def _raw_identifiers() -> tuple[set[str], set[str], set[str]]:
    """Names and SSN/NPI-style identifiers, birth dates and postcodes of the FHIR inputs."""
    words: set[str] = set()
    births: set[str] = set()
    postcodes: set[str] = set()

    def take(resource: dict[str, Any]) -> None:
        if resource.get("resourceType") not in ("Patient", "Practitioner"):
            return
        for name in as_list(resource.get("name")):
            for part in [name.get("family"), *as_list(name.get("given"))]:
                if isinstance(part, str) and len(part) > 3:
                    words.add(part)
        if isinstance(resource.get("birthDate"), str):
            births.add(resource["birthDate"])
        for ident in as_list(resource.get("identifier")):
            if isinstance(ident, dict) and "synthea" not in str(ident.get("system")):
                words.add(str(ident.get("value")))
        for address in as_list(resource.get("address")):
            if isinstance(address, dict) and address.get("postalCode"):
                postcodes.add(str(address["postalCode"]))

    for folder in (*SMART_SAMPLE, PIPES):
        for path in folder.rglob("*.json"):
            for entry in json.loads(path.read_text())["entry"]:
                take(entry["resource"])
    for path in UKCORE.glob("*.xml"):
        for _, _, resource in read_entries(path):
            if isinstance(resource, dict):
                take(resource)
    return words, births, postcodes


def test_no_raw_identifier_reaches_a_row(
    smart: list[Outcome], pipes: list[Outcome], ukcore: list[Outcome]
) -> None:
    words, births, postcodes = _raw_identifiers()
    assert "Agueda283" in words and "9912003888" in words and "LS17 7DF" in postcodes
    assert "999-76-8281" in words and "1970-09-11" in births
    values: list[str] = []
    person_values: set[str] = set()
    for rec in mapped([*smart, *pipes, *ukcore]):
        for row in [*rec.nodes, *rec.rels]:
            if isinstance(row, NodeRow) and row.label == "PseudonymisedPerson":
                person_values |= {str(v) for v in row.props.values()}
            parts = (
                [row.key, row.props]
                if isinstance(row, NodeRow)
                else [row.start_key, row.end_key, row.props]
            )
            values += [str(v) for part in parts for v in part.values()]
    blob = "\n".join(values)
    assert looks_like_valid_nhs_number(re.sub(r"\b[0-9a-fA-F]{16,64}\b", "#", blob)) == []
    leaked = sorted(w for w in words if w in blob)
    assert leaked == []
    assert not [v for v in values if normalise_postcode(v)]
    uk_postcodes = {p for p in postcodes if normalise_postcode(p)}
    assert "LS17 7DF" in uk_postcodes
    assert not [p for p in uk_postcodes if p in blob]
    # an event may fall on a birthday; a person's own attributes never hold the full date
    assert not births & person_values


def test_outcomes_stream(ctx: MapContext) -> None:
    """The first outcome arrives before the last file is read (a generator, not a list)."""
    stream = fhir.outcomes(SMART_SAMPLE, ctx)
    first = next(stream)
    assert isinstance(first, (MappedRecord, Skipped))
    assert first.position.startswith("synthea-r4-smart-on-fhir/hospitalInformation")
    stream.close()


def test_folder_recursion_and_file_order(tmp_path: Path, ctx: MapContext) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (nested / "one.json").write_text(json.dumps({"resourceType": "Basic", "id": "1"}))
    (tmp_path / "notes.txt").write_text("ignored")
    assert list(fhir.outcomes([tmp_path], ctx)) == [
        Skipped("fhir", f"{tmp_path.name}/a/b/one.json", "resource type Basic not mapped")
    ]
