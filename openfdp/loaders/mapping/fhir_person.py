"""FHIR Patient -> PseudonymisedPerson (+ in-memory IdentityEvidence); pure.

Only the coarse attributes reach the node (year of birth, sex code, postcode district and
whether a Modulus 11-valid NHS number was present). Names, the full date of birth, the
full postcode and the NHS number go to :class:`IdentityEvidence` only. US identifiers of
Synthea (social security, driver's licence, passport numbers) are never read.
"""

from __future__ import annotations

import logging

from openfdp.loaders.mapping.fhir_common import (
    ODS_SYSTEMS,
    MappingError,
    Resource,
    as_list,
    drop_none,
    first,
    parse_date,
    reference_of,
    text,
)
from openfdp.loaders.mapping.fhir_index import RefIndex, nhs_number_of, target_of
from openfdp.loaders.mapping.ods import GP_CODE
from openfdp.loaders.model import IdentityEvidence, MapContext, NodeRow, RelRow
from openfdp.loaders.privacy import normalise_postcode, postcode_area

log = logging.getLogger(__name__)

#: FHIR administrative gender -> PERSON STATED GENDER CODE (NHS Data Dictionary)
SEX_CODES = {"male": "1", "female": "2", "other": "9", "unknown": "X"}


def _official_name(resource: Resource) -> tuple[str | None, str | None]:
    names = [n for n in as_list(resource.get("name")) if isinstance(n, dict)]
    chosen = next((n for n in names if text(n.get("use")) == "official"), first(names))
    if not isinstance(chosen, dict):
        return None, None
    given = " ".join(g for g in (text(x) for x in as_list(chosen.get("given"))) if g)
    return (given or None), text(chosen.get("family"))


def _home_postcode(resource: Resource) -> str | None:
    addresses = [a for a in as_list(resource.get("address")) if isinstance(a, dict)]
    chosen = next((a for a in addresses if text(a.get("use")) == "home"), first(addresses))
    return text(chosen.get("postalCode")) if isinstance(chosen, dict) else None


def _gp_practice(resource: Resource, index: RefIndex) -> str | None:
    """ODS code of the registered GP practice, from generalPractitioner, if it is one."""
    for ref in as_list(resource.get("generalPractitioner")):
        if not isinstance(ref, dict):
            continue
        ident = ref.get("identifier")
        if isinstance(ident, dict) and text(ident.get("system")) in ODS_SYSTEMS:
            code = (text(ident.get("value")) or "").upper()
            if GP_CODE.match(code):
                return code
        target = index.get(reference_of(ref, "Organization"))
        if target is not None and target.label == "GPPractice":
            return str(target.key["ods_code"])
    return None


def map_patient(
    resource: Resource, *, record_key: str, index: RefIndex, ctx: MapContext
) -> tuple[list[NodeRow], list[RelRow], list[IdentityEvidence]]:
    target = target_of(resource, ctx)
    assert target is not None
    nhs_number, present = nhs_number_of(resource)
    if present and nhs_number is None:
        log.warning("NHS number identifier failed the Modulus 11 check; not used (%s)", record_key)
    birth = parse_date(resource.get("birthDate"), "birthDate")
    gender = (text(resource.get("gender")) or "").lower()
    if gender and gender not in SEX_CODES:
        raise MappingError("gender", "not a FHIR administrative gender")
    sex_code = SEX_CODES.get(gender)
    postcode = _home_postcode(resource)
    person = NodeRow(
        "PseudonymisedPerson",
        target.key,
        drop_none(
            {
                "year_of_birth": birth.year if birth else None,
                "sex_code": sex_code,
                "area_code": postcode_area(postcode),
                "nhs_number_verified": nhs_number is not None,
                "cluster_id": target.key["pseudo_id"],  # set on creation only; linkage owns it
            }
        ),
    )
    rels = []
    gp = _gp_practice(resource, index)
    if gp:
        rels.append(
            RelRow("REGISTERED_WITH", person.label, person.key, "GPPractice", {"ods_code": gp})
        )
    given, family = _official_name(resource)
    evidence = IdentityEvidence(
        person_ref=target.key,
        provider_ods=str(target.fallback_ods),
        local_patient_id=target.extra.get("local_id"),
        nhs_number=nhs_number,
        given_name=given,
        family_name=family,
        birth_date=birth.isoformat() if birth else None,
        sex_code=sex_code,
        postcode=normalise_postcode(postcode) or postcode,
    )
    return [person], rels, [evidence]
