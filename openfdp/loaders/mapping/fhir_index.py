"""Reference targets of FHIR resources, and the index that resolves references to them.

Before a bundle is mapped, every resource in it is turned into a :class:`Target` (the node
a reference to it means) under each string it can be referred by: ``urn:uuid:…`` full
URL, ``Type/id``, and ``Type?identifier=system|value`` for conditional references.
Organizations, Locations and Practitioners are *shared* (kept across files, so the
patient bundles of Synthea 3.x resolve against ``hospitalInformation*.json`` and
``practitionerInformation*.json``); everything else is *local* to its bundle. Memory is
therefore bounded by the number of organisations and staff plus one bundle, not by the
number of patients.
"""

from __future__ import annotations

from typing import Any

from openfdp.loaders.mapping.fhir_common import (
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEMS,
    Resource,
    Target,
    as_list,
    first,
    identifiers,
    ods_code_of,
    reference_of,
    safe_id,
    text,
)
from openfdp.loaders.mapping.ods import org_label, surrogate_ods, trust_of_site
from openfdp.loaders.model import MapContext
from openfdp.loaders.privacy import nhs_number_is_valid, normalise_nhs_number

SHARED_TYPES = frozenset({"Organization", "Location", "Practitioner"})
MR_TYPE_CODES = frozenset({"MR", "PI"})  # medical record number / patient internal id


def record_id(resource_type: str, rid: str, ctx: MapContext) -> str:
    """The key of a record-level node made from a FHIR resource id."""
    scope = f"{ctx.source_ods}:" if ctx.source_ods else ""
    return f"{scope}fhir:{resource_type}/{safe_id(rid)}"


def _org_target(resource: Resource) -> Target:
    ods = ods_code_of(resource)
    label = org_label(ods)
    if ods and label:  # a value that is not an ODS-format code gets a surrogate code below
        provider = trust_of_site(ods) if label == "Site" else None
        return Target("Organization", label, {"ods_code": ods}, provider_ods=provider or ods)
    ids = identifiers(resource)
    system, value = ids[0] if ids else ("fhir-id", text(resource.get("id")) or "")
    code = surrogate_ods(system, value)
    return Target("Organization", "Site", {"ods_code": code}, fallback_ods=code)


def _location_target(resource: Resource) -> Target:
    target = _org_target(resource)  # same rule: ODS site code, else a surrogate code
    manager = reference_of(resource.get("managingOrganization"), "Organization")
    return Target(
        "Location",
        target.label,
        target.key,
        provider_ods=target.provider_ods,
        fallback_ods=target.fallback_ods,
        site=(target.label, target.key),
        extra={"provider_ref": manager},
    )


def _practitioner_target(resource: Resource, ctx: MapContext) -> Target:
    ids = identifiers(resource)
    system, value = ids[0] if ids else ("fhir-id", text(resource.get("id")) or "")
    provider = ctx.source_ods or surrogate_ods("staff-issuer", system)
    token = ctx.pseudonymiser.token("staff", f"{system}|{value}")[:20]
    return Target(
        "Practitioner",
        "StaffMember",
        {"staff_id": f"{provider}:{token}"},
        provider_ods=ctx.source_ods,
        fallback_ods=provider,
    )


def nhs_number_of(resource: Resource) -> tuple[str | None, bool]:
    """(verified NHS number or None, whether an NHS number identifier was present)."""
    present = False
    for ident in as_list(resource.get("identifier")):
        if isinstance(ident, dict) and text(ident.get("system")) == NHS_NUMBER_SYSTEM:
            present = True
            raw = text(ident.get("value"))
            if nhs_number_is_valid(raw):
                return normalise_nhs_number(raw), True
    return None, present


def _local_id(resource: Resource) -> tuple[str, str]:
    """(issuing system, value) of the patient's local record number, else its resource id."""
    for ident in as_list(resource.get("identifier")):
        if not isinstance(ident, dict):
            continue
        id_type = first(ident.get("type"))
        codings = as_list(id_type.get("coding")) if isinstance(id_type, dict) else []
        codes = {text(c.get("code")) for c in codings if isinstance(c, dict)}
        system, value = text(ident.get("system")), text(ident.get("value"))
        if codes & MR_TYPE_CODES and system and value:
            return system, value
    return "fhir-id", text(resource.get("id")) or ""


def patient_issuer(resource: Resource, ctx: MapContext, issuer_system: str) -> str:
    """The ODS code of the organisation that issued the patient's local id."""
    manager = first(resource.get("managingOrganization"))
    if isinstance(manager, dict) and isinstance(manager.get("identifier"), dict):
        ident = manager["identifier"]
        if text(ident.get("system")) in ODS_SYSTEMS and text(ident.get("value")):
            return str(ident["value"]).strip().upper()
    return ctx.source_ods or surrogate_ods("patient-id-issuer", issuer_system)


def _patient_target(resource: Resource, ctx: MapContext) -> Target:
    nhs_number, _ = nhs_number_of(resource)
    system, local = _local_id(resource)
    issuer = patient_issuer(resource, ctx, system)
    pseudo_id = ctx.pseudonymiser.person_id(
        nhs_number=nhs_number, provider_ods=issuer, local_patient_id=local or None,
        source="fhir", record_key=f"Patient/{safe_id(text(resource.get('id')) or '')}",
    )  # fmt: skip
    manager = reference_of(resource.get("managingOrganization"), "Organization")
    return Target(
        "Patient",
        "PseudonymisedPerson",
        ctx.pseudonymiser.person_key(pseudo_id),
        fallback_ods=issuer,
        extra={"provider_ref": manager, "local_id": local or None},
    )


def _encounter_target(resource: Resource, ctx: MapContext) -> Target:
    rid = text(resource.get("id")) or ""
    return Target(
        "Encounter",
        "Encounter",
        {"encounter_id": record_id("Encounter", rid, ctx)},
        extra={
            "provider_ref": reference_of(resource.get("serviceProvider"), "Organization"),
            "location_ref": reference_of(
                first(resource.get("location")).get("location")
                if isinstance(first(resource.get("location")), dict)
                else None,
                "Location",
            ),
        },
    )


def target_of(resource: Resource, ctx: MapContext) -> Target | None:
    """The node a reference to `resource` means, or None for types nothing refers to."""
    rtype = resource.get("resourceType")
    if rtype == "Organization":
        return _org_target(resource)
    if rtype == "Location":
        return _location_target(resource)
    if rtype == "Practitioner":
        return _practitioner_target(resource, ctx)
    if rtype == "Patient":
        return _patient_target(resource, ctx)
    if rtype == "Encounter":
        return _encounter_target(resource, ctx)
    return None


class RefIndex:
    """Reference string -> Target; shared entries persist, local ones last one bundle."""

    def __init__(self) -> None:
        self.shared: dict[str, Target] = {}
        self.local: dict[str, Target] = {}

    def add(self, refs: list[str], target: Target, *, shared: bool) -> None:
        table = self.shared if shared else self.local
        for ref in refs:
            table[ref] = target

    def get(self, ref: str | None) -> Target | None:
        if not ref:
            return None
        return self.local.get(ref) or self.shared.get(ref)

    def clear_local(self) -> None:
        self.local.clear()

    def __len__(self) -> int:
        return len(self.shared) + len(self.local)


def resolve(index: RefIndex, element: Any, expected_type: str) -> tuple[str | None, Target | None]:
    """(reference string, its target) of a Reference element; target None if unresolved."""
    ref = reference_of(element, expected_type)
    return ref, index.get(ref)
