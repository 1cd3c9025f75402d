"""FHIR R4 care activity -> ontology rows: Encounter (class, period, admission and discharge
method), Procedure and Condition (OPCS-4 or ICD-10 preferred over SNOMED CT, linked to their
encounter) and Appointment (attendance, first attendance, treatment function, consultation
medium), each with the person it is about and the provider organisation or site.
"""

from __future__ import annotations

import re

from openfdp.loaders.mapping.fhir_common import (
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
    reference_of,
    text,
)
from openfdp.loaders.mapping.fhir_index import RefIndex, record_id
from openfdp.loaders.mapping.fhir_links import (
    SOURCE,
    Rows,
    coded,
    optional_ref,
    provider,
    rel_row,
    required_ref,
)
from openfdp.loaders.model import MapContext, NodeRow

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


def _admission_method(r: Resource) -> str | None:
    code = extension_code(first(r.get("hospitalization")), "AdmissionMethod")
    if code is not None and not ADMISSION_METHOD.match(code):
        raise MappingError("hospitalization.admissionMethod", "not an ADMISSION METHOD code")
    return code


def map_encounter(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    person = required_ref(index, r.get("subject") or r.get("patient"), "Patient", "subject")
    org = optional_ref(index, r.get("serviceProvider"), "Organization", "serviceProvider")
    location = first(r.get("location"))
    loc = optional_ref(
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
                "provider_ods": provider(index, ctx, org, loc, person=person),
            }
        ),
    )
    rels = [rel_row("SUBJECT_OF", person, node)]
    for place in (org, loc):
        if place is not None and not any(x.end_key == place.key for x in rels[1:]):
            rels.append(rel_row("AT_ORGANISATION", node, place))
    return [node], rels, []


def _clinical(
    r: Resource, key: str, index: RefIndex, ctx: MapContext, *, label: str, rel: str
) -> Rows:
    """Procedure -> Procedure and Condition -> Diagnosis (same shape, different codes)."""
    person = required_ref(index, r.get("subject") or r.get("patient"), "Patient", "subject")
    enc_ref = r.get("encounter") or r.get("context")
    enc = optional_ref(index, enc_ref, "Encounter", "encounter")
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
                "provider_ods": provider(index, ctx, enc, person=person),
            }
        ),
    )
    nodes, rels = coded(node, code)
    if enc is not None:  # the person is reached through the encounter (SUBJECT_OF)
        rels.append(rel_row(rel, enc, node))
    return [node, *nodes], rels, []


def map_appointment(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    person: Target | None = None
    site: Target | None = None
    for participant in as_list(r.get("participant")):
        actor = participant.get("actor") if isinstance(participant, dict) else None
        ref = reference_of(actor) or ""
        found = index.get(ref)
        rtype = found.resource_type if found else ref.split("/")[0].split("?")[0]
        if rtype == "Patient":
            person = required_ref(index, actor, "Patient", "participant.actor")
        elif rtype == "Location":
            site = required_ref(index, actor, "Location", "participant.actor")
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
                "provider_ods": provider(index, ctx, site, person=person),
            }
        ),
    )
    rels = [rel_row("SUBJECT_OF", person, node)]
    if site is not None and site.label == "Site":
        rels.append(rel_row("AT_SITE", node, site))
    return [node], rels, []


def map_procedure(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    return _clinical(r, key, index, ctx, label="Procedure", rel="HAD_PROCEDURE")


def map_condition(r: Resource, key: str, index: RefIndex, ctx: MapContext) -> Rows:
    return _clinical(r, key, index, ctx, label="Diagnosis", rel="HAS_DIAGNOSIS")
