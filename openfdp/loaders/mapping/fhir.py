"""FHIR R4 resources -> ontology rows (pure). See docs/feeds.md, "FHIR R4".

`map_resource` takes one resource (JSON-shaped dict, from a JSON bundle or converted from
FHIR XML), the position it came from and the :class:`RefIndex` of what references resolve
to, and returns a MappedRecord, a Rejection or a Skipped. Organisations, locations and
practitioners are mapped here; patients in :mod:`~openfdp.loaders.mapping.fhir_person`,
encounters, procedures, conditions and appointments in
:mod:`~openfdp.loaders.mapping.fhir_care`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openfdp.loaders.mapping.fhir_care import (
    map_appointment,
    map_condition,
    map_encounter,
    map_procedure,
)
from openfdp.loaders.mapping.fhir_common import (
    MappingError,
    Resource,
    drop_none,
    first,
    record_hash,
    safe_id,
    text,
)
from openfdp.loaders.mapping.fhir_index import RefIndex, target_of
from openfdp.loaders.mapping.fhir_links import SOURCE, Rows, optional_ref, rel_row
from openfdp.loaders.mapping.fhir_person import map_patient
from openfdp.loaders.model import (
    MapContext,
    MappedRecord,
    NodeRow,
    Outcome,
    Rejection,
    RelRow,
    Skipped,
)
from openfdp.loaders.privacy import postcode_area


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
        manager = optional_ref(
            index, r.get("managingOrganization"), "Organization", "managingOrganization"
        )
        if target.label == "Site" and manager is not None and manager.label == "NHSTrust":
            rels.append(rel_row("PART_OF", node, manager))
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


MAPPERS: dict[str, Callable[[Resource, str, RefIndex, MapContext], Rows]] = {
    "Patient": _patient,
    "Encounter": map_encounter,
    "Procedure": map_procedure,
    "Condition": map_condition,
    "Appointment": map_appointment,
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
