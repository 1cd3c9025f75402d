"""HL7 v2 ADT messages -> ontology rows (pure; parsed with hl7apy). See docs/feeds.md.

A01/A02/A03/A04/A08 give the person (PID), the encounter (PV1) and its coded diagnoses
(DG1) and procedures (PR1); A28/A31 (add/update person) give the person only. A11 (cancel
admit), A13 (cancel discharge) and A40 (merge patient) amend earlier events
(:mod:`openfdp.loaders.mapping.hl7v2_events`); the encounter part is mapped in
:mod:`openfdp.loaders.mapping.hl7v2_encounter`, the message parsed with
:mod:`openfdp.loaders.mapping.hl7v2_segments`. Any other
message type is Skipped. The message is one record: anything malformed in it (no MSH-10,
an unparseable timestamp or date of birth, a code that is not ICD-10/OPCS-4/SNOMED) rejects
the whole message with the segment and field named, never a value.
"""

from __future__ import annotations

from typing import Any

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_segment

from openfdp.loaders.mapping import hl7v2_events as amend
from openfdp.loaders.mapping.fhir_common import MappingError, drop_none, safe_id
from openfdp.loaders.mapping.hl7v2_encounter import clinical_rows, encounter_rows
from openfdp.loaders.mapping.hl7v2_events import AMENDING_EVENTS, cx_identity
from openfdp.loaders.mapping.hl7v2_segments import Message, parse_date, parse_ts, segments_of, value
from openfdp.loaders.mapping.ods import (
    GP_CODE,
    canonical_hash,
    org_label,
    surrogate_ods,
    trust_of_site,
)
from openfdp.loaders.model import (
    Amendment,
    IdentityEvidence,
    MapContext,
    MappedRecord,
    NodeRow,
    Outcome,
    Rejection,
    RelRow,
    Skipped,
)
from openfdp.loaders.privacy import normalise_postcode
from openfdp.loaders.privacy import postcode_area as district

SOURCE = "hl7"
ENCOUNTER_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A08"})
PERSON_EVENTS = frozenset({"A28", "A31"})
SEX = {"M": "1", "1": "1", "F": "2", "2": "2", "O": "9", "A": "9", "9": "9"}
SEX.update({"U": "X", "X": "X", "0": "X", "N": "X"})


def _provider(msg: Message, ctx: MapContext) -> str:
    """MSH-4 or PV1-39 when it is an NHS trust (or trust site) ODS code, else the context's
    source ODS, else a surrogate code for the sending facility."""
    msh, pv1 = msg.first("MSH"), msg.first("PV1")
    candidates = [value(msh, "msh_4.hd_1"), value(pv1, "pv1_39.is_1") if pv1 is not None else ""]
    for code in (c.upper() for c in candidates if c):
        label = org_label(code)
        if label == "NHSTrust":
            return code
        if label == "Site":
            return str(trust_of_site(code))
    if ctx.source_ods:
        return ctx.source_ods
    return surrogate_ods("hl7-sending-facility", value(msh, "msh_4") or "unknown")


def _person(msg: Message, ctx: MapContext, provider: str, record_key: str) -> tuple[NodeRow, Any]:
    pid = msg.first("PID")
    if pid is None:
        raise MappingError("PID", "no PID segment")
    nhs_number, local_id, placeholder = cx_identity(pid.pid_3 if value(pid, "pid_3") else [], value)
    birth = parse_date(value(pid, "pid_7"), "PID-7")
    sex_raw = value(pid, "pid_8").upper()
    postcode = value(pid, "pid_11.xad_5") if value(pid, "pid_11") else ""
    pseudo_id = ctx.pseudonymiser.person_id(
        nhs_number=nhs_number, provider_ods=provider, local_patient_id=local_id,
        source=SOURCE, record_key=record_key,
    )  # fmt: skip
    key = ctx.pseudonymiser.person_key(pseudo_id)
    props = {
        "year_of_birth": birth.year if birth else None,
        "sex_code": SEX.get(sex_raw),
        "area_code": district(postcode),
        "nhs_number_verified": nhs_number is not None,
        "cluster_id": pseudo_id,
        "nhs_number_placeholder": True if placeholder else None,
    }
    evidence = IdentityEvidence(
        person_ref=key,
        provider_ods=provider,
        local_patient_id=local_id,
        nhs_number=nhs_number,
        given_name=value(pid, "pid_5.xpn_2") or None,
        family_name=value(pid, "pid_5.xpn_1").split("&")[0] or None,
        birth_date=birth.isoformat() if birth else None,
        sex_code=SEX.get(sex_raw),
        postcode=normalise_postcode(postcode) or (postcode or None),
    )
    return NodeRow("PseudonymisedPerson", key, drop_none(props)), evidence


def _gp(msg: Message) -> str | None:
    pd1 = msg.first("PD1")
    if pd1 is None:
        return None
    for path in ("pd1_3.xon_3", "pd1_3.xon_10"):
        code = value(pd1, path).upper()
        if GP_CODE.match(code):
            return code
    return None


def map_message(text: str, *, position: str, ctx: MapContext) -> Outcome:
    """One HL7 v2 message (segments separated by CR) -> MappedRecord | Rejection | Skipped."""
    first_line = text.split("\r", 1)[0]
    if not first_line.startswith("MSH"):
        return Rejection(SOURCE, position, "MSH", "message does not start with an MSH segment")
    try:
        msh = parse_segment(first_line, validation_level=VALIDATION_LEVEL.TOLERANT)
    except (HL7apyException, ValueError, IndexError):
        return Rejection(SOURCE, position, "MSH", "unparseable MSH segment")
    code, event = value(msh, "msh_9.msg_1").upper(), value(msh, "msh_9.msg_2").upper()
    if not code:
        code, event = ([*value(msh, "msh_9").upper().split("^"), ""])[:2]
    if code != "ADT" or event not in ENCOUNTER_EVENTS | PERSON_EVENTS | AMENDING_EVENTS:
        return Skipped(SOURCE, position, f"message type {code}^{event} not mapped")
    control_id = safe_id(value(msh, "msh_10"))
    if not value(msh, "msh_10"):
        return Rejection(SOURCE, position, "MSH-10", "message has no control id")
    facility = value(msh, "msh_4.hd_1") or "unknown"
    record_key = f"{safe_id(facility)}:{control_id}"
    try:
        msg = segments_of(text)
        provider = _provider(msg, ctx)
        person, evidence = _person(msg, ctx, provider, record_key)
        nodes, rels = [person], []
        amendments: list[Amendment] = []
        gp = _gp(msg)
        if gp:
            rels.append(
                RelRow("REGISTERED_WITH", person.label, person.key, "GPPractice", {"ods_code": gp})
            )
        if event in ENCOUNTER_EVENTS:
            encounter, enc_rels = encounter_rows(msg, provider, control_id, SOURCE)
            clinical_nodes, clinical_rels = clinical_rows(msg, encounter, provider)
            nodes += [encounter, *clinical_nodes]
            rels += [RelRow("SUBJECT_OF", person.label, person.key, "Encounter", encounter.key)]
            rels += enc_rels + clinical_rels
        elif event in (amend.CANCEL_ADMIT, amend.CANCEL_DISCHARGE):
            encounter, enc_rels = encounter_rows(msg, provider, control_id, SOURCE)
            if event == amend.CANCEL_ADMIT:
                amendments.append(amend.cancel_admit(encounter))
            else:
                encounter, unset = amend.cancel_discharge(encounter)
                nodes.append(encounter)
                rels += [RelRow("SUBJECT_OF", person.label, person.key, "Encounter", encounter.key)]
                rels += enc_rels
                amendments.append(unset)
        elif event == amend.MERGE_PATIENT:
            evn, msh = msg.first("EVN"), msg.first("MSH")
            when = parse_ts(value(evn, "evn_2"), "EVN-2") if evn is not None else None
            prior, merge = amend.merge_patient(
                msg.first("MRG"), value, ctx=ctx, provider=provider, source=SOURCE,
                surviving=person, merged_at=when or parse_ts(value(msh, "msh_7"), "MSH-7"),
            )  # fmt: skip
            nodes.append(prior)
            amendments.append(merge)
    except MappingError as exc:
        return Rejection(SOURCE, position, exc.field, f"ADT^{event}: {exc.reason}")
    except (HL7apyException, ValueError, IndexError, AttributeError) as exc:
        return Rejection(SOURCE, position, None, f"ADT^{event}: unparseable ({type(exc).__name__})")
    digest = canonical_hash(text.split("\r"))
    return MappedRecord(SOURCE, position, record_key, digest, nodes, rels, [evidence], amendments)
