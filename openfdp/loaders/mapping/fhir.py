"""FHIR R4 resources -> ontology rows (pure). See docs/feeds.md, "FHIR R4".

`map_resource` takes one resource (JSON-shaped dict, from a JSON bundle or converted from
FHIR XML), the position it came from and the :class:`RefIndex` of what references resolve
to, and returns a MappedRecord, a Rejection or a Skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from openfdp.loaders.mapping.fhir_common import (
    Code,
    MappingError,
    Resource,
    Target,
    as_list,
    coding_code,
    drop_none,
    extension_code,
    first,
    parse_date,
    parse_datetime,
    pick_code,
    record_hash,
    reference_of,
    safe_id,
    text,
)
from openfdp.loaders.mapping.fhir_index import RefIndex, record_id, resolve, target_of
from openfdp.loaders.mapping.fhir_person import map_patient
from openfdp.loaders.model import (
    IdentityEvidence,
    MapContext,
    MappedRecord,
    NodeRow,
    Outcome,
    Rejection,
    RelRow,
    Skipped,
)
from openfdp.loaders.privacy import postcode_area

SOURCE = "fhir"
Rows = tuple[list[NodeRow], list[RelRow], list[IdentityEvidence]]

#: Encounter.class code (v3 ActCode, and the Synthea 2.x codes) -> encounter_class
ENCOUNTER_CLASSES = {
    "IMP": "inpatient", "ACUTE": "inpatient", "NONAC": "inpatient", "INPATIENT": "inpatient",
    "AMB": "ambulatory", "AMBULATORY": "ambulatory", "WELLNESS": "ambulatory",
    "OUTPATIENT": "outpatient", "EMER": "emergency", "EMERGENCY": "emergency",
    "URGENTCARE": "emergency", "OBSENC": "other", "PRENC": "other", "SS": "other",
    "VR": "other", "HH": "other", "FLD": "other",
}  # fmt: skip
ADMISSION_METHOD = re.compile(r"^[0-9][0-9A-Z]$")
#: Appointment.status -> ATTENDED OR DID NOT ATTEND code
ATTENDANCE = {"fulfilled": "5", "arrived": "5", "checked-in": "5", "noshow": "3"}
#: appointmentType (v2-0276) -> FIRST ATTENDANCE code
FIRST_ATTENDANCE = {"ROUTINE": "1", "FOLLOWUP": "2", "CHECKUP": "2"}
#: UK Core DeliveryChannel -> CONSULTATION MEDIUM USED code
CONSULTATION_MEDIUM = {"in-person": "01", "telephone": "02", "video": "03"}


def _rel(rel: str, start: NodeRow | Target, end: NodeRow | Target) -> RelRow:
    return RelRow(rel, start.label, start.key, end.label, end.key)


def _required_ref(index: RefIndex, element: Any, rtype: str, field: str) -> Target:
    ref, target = resolve(index, element, rtype)
    if ref is None:
        raise MappingError(field, f"missing {rtype} reference")
    if target is None or target.resource_type != rtype:
        raise MappingError(field, f"unresolved {rtype} reference")
    return target


def _optional_ref(index: RefIndex, element: Any, rtype: str, field: str) -> Target | None:
    ref, _ = resolve(index, element, rtype)
    return _required_ref(index, element, rtype, field) if ref else None


def _provider(
    index: RefIndex, ctx: MapContext, *targets: Target | None, person: Target | None = None
) -> str:
    """provider_ods: a real ODS code of the record's organisation, else ctx.source_ods, else
    the surrogate code of the record's organisation, else that of the patient's id issuer."""
    orgs: list[Target] = []
    for target in targets:
        if target is None:
            continue
        orgs.append(target)
        ref = target.extra.get("provider_ref")
        nested = index.get(ref) if isinstance(ref, str) else None
        if nested is not None:
            orgs.append(nested)
        loc = index.get(target.extra.get("location_ref"))
        if loc is not None:
            orgs.append(loc)
    for org in orgs:
        if org.provider_ods:
            return org.provider_ods
    if ctx.source_ods:
        return ctx.source_ods
    for org in [*orgs, *([person] if person else [])]:
        if org.fallback_ods:
            return org.fallback_ods
    raise MappingError(None, "no provider organisation can be determined")


def _coded(node: NodeRow, code: Code | None) -> tuple[list[NodeRow], list[RelRow]]:
    if code is None:
        return [], []
    concept = NodeRow("CodedConcept", {"system": code.system, "code": code.code})
    if code.display:
        concept = NodeRow(concept.label, concept.key, {"display": code.display})
    return [concept], [_rel("CODED_AS", node, concept)]


def _admission_method(r: Resource) -> str | None:
    code = extension_code(first(r.get("hospitalization")), "AdmissionMethod")
    if code is not None and not ADMISSION_METHOD.match(code):
        raise MappingError("hospitalization.admissionMethod", "not an ADMISSION METHOD code")
    return code


def _encounter(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    person = _required_ref(index, r.get("subject") or r.get("patient"), "Patient", "subject")
    org = _optional_ref(index, r.get("serviceProvider"), "Organization", "serviceProvider")
    location = first(r.get("location"))
    loc = _optional_ref(
        index, location.get("location") if isinstance(location, dict) else None,
        "Location", "location",
    )  # fmt: skip
    period = first(r.get("period")) or {}
    cls = (coding_code({"coding": r.get("class")}) or "").upper()
    node = NodeRow(
        "Encounter",
        {"encounter_id": record_id("Encounter", key, ctx)},
        drop_none(
            {
                "encounter_class": ENCOUNTER_CLASSES.get(cls, "other"),
                "start_date_time": parse_datetime(period.get("start"), "period.start"),
                "end_date_time": parse_datetime(period.get("end"), "period.end"),
                "admission_method_code": _admission_method(r),
                "discharge_method_code": extension_code(r, "DischargeMethod"),
                "source_system": SOURCE,
                "provider_ods": _provider(index, ctx, org, loc, person=person),
            }
        ),
    )
    rels = [_rel("SUBJECT_OF", person, node)]
    for place in (org, loc):
        if place is not None and not any(x.end_key == place.key for x in rels[1:]):
            rels.append(_rel("AT_ORGANISATION", node, place))
    return [node], rels, []


def _clinical(
    r: Resource, key: str, index: RefIndex, ctx: MapContext, *, label: str, rel: str
) -> Rows:
    """Procedure -> Procedure and Condition -> Diagnosis (same shape, different codes)."""
    person = _required_ref(index, r.get("subject") or r.get("patient"), "Patient", "subject")
    enc_ref = r.get("encounter") or r.get("context")
    enc = _optional_ref(index, enc_ref, "Encounter", "encounter")
    if label == "Procedure":
        prefer = ("OPCS4", "SNOMED")
        code = pick_code(r.get("code"), prefer)
        when = r.get("performedDateTime") or (first(r.get("performedPeriod")) or {}).get("start")
        id_key, date_key = "procedure_id", "procedure_date"
    else:
        prefer = ("ICD10", "SNOMED")
        code = pick_code(r.get("code"), prefer)
        when = r.get("onsetDateTime") or r.get("recordedDate") or r.get("assertedDate")
        when = when or (first(r.get("onsetPeriod")) or {}).get("start")
        id_key, date_key = "diagnosis_id", "diagnosis_date"
    if code is None:
        raise MappingError("code", f"no valid {' or '.join(prefer)} coding")
    node = NodeRow(
        label,
        {id_key: record_id(r["resourceType"], key, ctx)},
        drop_none(
            {
                date_key: parse_date(when, date_key),
                "code_system": code.system,
                "code": code.code,
                "display": code.display,
                "provider_ods": _provider(index, ctx, enc, person=person),
            }
        ),
    )
    nodes, rels = _coded(node, code)
    if enc is not None:  # the person is reached through the encounter (SUBJECT_OF)
        rels.append(_rel(rel, enc, node))
    return [node, *nodes], rels, []


def _appointment(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    person: Target | None = None
    site: Target | None = None
    for participant in as_list(r.get("participant")):
        actor = participant.get("actor") if isinstance(participant, dict) else None
        ref = reference_of(actor) or ""
        found = index.get(ref)
        rtype = found.resource_type if found else ref.split("/")[0].split("?")[0]
        if rtype == "Patient":
            person = _required_ref(index, actor, "Patient", "participant.actor")
        elif rtype == "Location":
            site = _required_ref(index, actor, "Location", "participant.actor")
    if person is None:
        raise MappingError("participant", "no patient participant")
    tfc = coding_code(r.get("specialty"))
    tfc_codes = ctx.code_lists.get("TFC")
    channel = None
    for ext in as_list(r.get("extension")):
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith("DeliveryChannel"):
            channel = (coding_code(ext.get("valueCodeableConcept")) or "").lower()
    node = NodeRow(
        "Appointment",
        {"appointment_id": record_id("Appointment", key, ctx)},
        drop_none(
            {
                "appointment_date": parse_date(r.get("start"), "start"),
                "attended_or_dna_code": ATTENDANCE.get(text(r.get("status")) or ""),
                "first_attendance_code": FIRST_ATTENDANCE.get(
                    (coding_code(r.get("appointmentType")) or "").upper()
                ),
                "treatment_function_code": tfc
                if tfc and (tfc in tfc_codes if tfc_codes else tfc.isdigit() and len(tfc) == 3)
                else None,
                "consultation_medium_code": CONSULTATION_MEDIUM.get(channel or ""),
                "provider_ods": _provider(index, ctx, site, person=person),
            }
        ),
    )
    rels = [_rel("SUBJECT_OF", person, node)]
    if site is not None and site.label == "Site":
        rels.append(_rel("AT_SITE", node, site))
    return [node], rels, []


def _organisation(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    target = target_of(r, ctx)
    assert target is not None
    name = text(r.get("name"))
    props: dict[str, Any] = {"name": name}
    if target.label == "NHSTrust":
        if not name:
            raise MappingError("name", "an NHS trust needs a name")
        address = first(r.get("address"))
        props["postcode_district"] = postcode_area(
            text(address.get("postalCode")) if isinstance(address, dict) else None
        )
    node = NodeRow(target.label, target.key, drop_none(props))
    rels: list[RelRow] = []
    if r.get("resourceType") == "Location":
        manager = _optional_ref(
            index, r.get("managingOrganization"), "Organization", "managingOrganization"
        )
        if target.label == "Site" and manager is not None and manager.label == "NHSTrust":
            rels.append(_rel("PART_OF", node, manager))
    return [node], rels, []


def _practitioner(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    target = target_of(r, ctx)
    assert target is not None
    active = text(r.get("active"))
    props = {
        "active": None if active is None else active.lower() == "true",
        "provider_ods": target.provider_ods or target.fallback_ods,
    }
    return [NodeRow("StaffMember", target.key, drop_none(props))], [], []


def _patient(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    return map_patient(r, record_key=f"Patient/{safe_id(key)}", index=index, ctx=ctx)


def _procedure(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    return _clinical(r, key, index, ctx, label="Procedure", rel="HAD_PROCEDURE")


def _condition(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    return _clinical(r, key, index, ctx, label="Diagnosis", rel="HAS_DIAGNOSIS")


MAPPERS: dict[str, Callable[[Resource, str, RefIndex, MapContext], Rows]] = {
    "Patient": _patient,
    "Encounter": _encounter,
    "Procedure": _procedure,
    "Condition": _condition,
    "Appointment": _appointment,
    "Organization": _organisation,
    "Location": _organisation,
    "Practitioner": _practitioner,
}


def map_resource(resource: Any, *, position: str, index: RefIndex, ctx: MapContext) -> Outcome:
    """One FHIR resource -> MappedRecord | Rejection | Skipped (never raises on bad input)."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return Rejection(SOURCE, position, "resourceType", "not a FHIR resource")
    rtype = resource["resourceType"]
    mapper = MAPPERS.get(rtype)
    if mapper is None:
        return Skipped(SOURCE, position, f"resource type {rtype} not mapped")
    rid = text(resource.get("id"))
    if not rid:
        return Rejection(SOURCE, position, "id", f"{rtype} has no id")
    try:
        nodes, rels, identities = mapper(resource, rid, index, ctx)
    except MappingError as exc:
        return Rejection(SOURCE, position, exc.field, f"{rtype}: {exc.reason}")
    except (AttributeError, TypeError, KeyError, ValueError):
        return Rejection(SOURCE, position, None, f"{rtype}: malformed resource structure")
    return MappedRecord(
        SOURCE, position, f"{rtype}/{safe_id(rid)}", record_hash(resource), nodes, rels, identities
    )
