"""HL7 v2 ADT events that amend earlier ones: merge patient (A40), cancel admit (A11) and
cancel discharge (A13). Pure: they return rows and :mod:`openfdp.loaders.model` amendments.

Sources: HL7 v2.5 chapter 3 (Patient Administration), trigger event definitions 3.3.40
"ADT/ACK - Merge patient - patient identifier list (event A40)" (MRG-1 holds the prior
patient identifier list, PID-3 the surviving one), 3.3.11 "Cancel admit / visit
notification (event A11)" (sent when an A01 is cancelled, entered in error or the patient
not admitted after all) and 3.3.13 "Cancel discharge / end visit (event A13)" (sent when an
A03 is cancelled: the visit is open again); the same events in HL7 v2.4 chapter 3 and the
NHS ITK HL7 v2 ADT profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from openfdp.loaders.mapping.fhir_common import MappingError
from openfdp.loaders.model import DeleteNode, MapContext, MergePersons, NodeRow, UnsetProperties
from openfdp.loaders.privacy import (
    is_placeholder_nhs_number,
    nhs_number_is_valid,
    normalise_nhs_number,
)

CANCEL_ADMIT, CANCEL_DISCHARGE, MERGE_PATIENT = "A11", "A13", "A40"
AMENDING_EVENTS = frozenset({CANCEL_ADMIT, CANCEL_DISCHARGE, MERGE_PATIENT})
NHS_AUTHORITIES = frozenset({"NHS", "NHSNBR", "NHSNMBR"})
#: what an A03 discharge sets on the encounter, removed again by an A13
DISCHARGE_PROPERTIES = ("end_date_time", "discharge_method_code")
#: the nodes an encounter owns, removed with it by an A11
ENCOUNTER_OWNS = ("HAS_DIAGNOSIS", "HAD_PROCEDURE")
Field = Callable[[Any, str], str]


def cx_identity(reps: Iterable[Any], v: Field) -> tuple[str | None, str | None, bool]:
    """(verified NHS number, first local identifier, whether a placeholder NHS number was
    given) of a CX list (PID-3, MRG-1). A placeholder is treated as missing: never linked on."""
    nhs_number, local_id, placeholder = None, None, False
    for rep in reps:
        value, authority, id_type = v(rep, "cx_1"), v(rep, "cx_4").split("&")[0], v(rep, "cx_5")
        if authority.upper() in NHS_AUTHORITIES or id_type.upper() == "NH":
            placeholder |= is_placeholder_nhs_number(value)
            if nhs_number_is_valid(value):
                nhs_number = normalise_nhs_number(value)
        elif value and local_id is None:
            local_id = value
    return nhs_number, local_id, placeholder


def visit_key(encounter: NodeRow, event: str) -> dict[str, Any]:
    """The key of the encounter an A11/A13 cancels: it must come from the visit number."""
    if ":hl7msg:" in str(encounter.key["encounter_id"]):
        raise MappingError("PV1-19", f"{event} needs the visit number of the event it cancels")
    return dict(encounter.key)


def cancel_admit(encounter: NodeRow) -> DeleteNode:
    """A11: the admission never happened; its encounter (and what it owns) goes."""
    return DeleteNode("Encounter", visit_key(encounter, CANCEL_ADMIT), ENCOUNTER_OWNS)


def cancel_discharge(encounter: NodeRow) -> tuple[NodeRow, UnsetProperties]:
    """A13: the encounter (without a discharge) and the removal of the discharge."""
    key = visit_key(encounter, CANCEL_DISCHARGE)
    props = {k: v for k, v in encounter.props.items() if k not in DISCHARGE_PROPERTIES}
    return NodeRow(encounter.label, key, props), UnsetProperties(
        "Encounter", key, DISCHARGE_PROPERTIES
    )


def merge_patient(
    mrg: Any,
    v: Field,
    *,
    ctx: MapContext,
    provider: str,
    source: str,
    surviving: NodeRow,
    merged_at: datetime | None,
) -> tuple[NodeRow, MergePersons]:
    """A40: the prior identity (MRG-1, pseudonymised like PID-3) merged into the surviving
    one (PID-3). Raw identifiers never leave this function."""
    if mrg is None:
        raise MappingError("MRG", "no MRG segment")
    nhs_number, local_id, _placeholder = cx_identity(mrg.mrg_1 if v(mrg, "mrg_1") else [], v)
    if nhs_number is None and local_id is None:
        raise MappingError("MRG-1", "no prior patient identifier")
    pseudo_id = ctx.pseudonymiser.person_id(
        nhs_number=nhs_number, provider_ods=provider, local_patient_id=local_id, source=source
    )
    prior = NodeRow(surviving.label, ctx.pseudonymiser.person_key(pseudo_id))
    if prior.key == surviving.key:
        raise MappingError("MRG-1", "the prior identifier is the surviving identifier")
    prior = NodeRow(prior.label, prior.key, {"cluster_id": pseudo_id})
    return prior, MergePersons(dict(prior.key), dict(surviving.key), merged_at)
