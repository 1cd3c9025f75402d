"""HL7 v2 ADT messages -> ontology rows (pure; parsed with hl7apy). See docs/feeds.md.

A01/A02/A03/A04/A08 give the person (PID), the encounter (PV1) and its coded diagnoses
(DG1) and procedures (PR1); A28/A31 (add/update person) give the person only. A11 (cancel
admit), A13 (cancel discharge) and A40 (merge patient) amend earlier events
(:mod:`openfdp.loaders.mapping.hl7v2_events`). Any other
message type is Skipped. The message is one record: anything malformed in it (no MSH-10,
an unparseable timestamp or date of birth, a code that is not ICD-10/OPCS-4/SNOMED) rejects
the whole message with the segment and field named, never a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message, parse_segment

from openfdp.loaders.mapping import hl7v2_events as amend
from openfdp.loaders.mapping.fhir_common import CODE_FORMATS, MappingError, drop_none, safe_id
from openfdp.loaders.mapping.hl7v2_events import AMENDING_EVENTS, cx_identity
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
LONDON = ZoneInfo("Europe/London")  # HL7 times without an offset are local (UK) times
SEX = {"M": "1", "1": "1", "F": "2", "2": "2", "O": "9", "A": "9", "9": "9"}
SEX.update({"U": "X", "X": "X", "0": "X", "N": "X"})
CLASSES = {"I": "inpatient", "O": "outpatient", "E": "emergency", "R": "outpatient"}
CLASSES.update({"B": "inpatient", "P": "other", "C": "other", "N": "other"})
CODE_SYSTEMS = {"ICD10": "ICD10", "I10": "ICD10", "ICD-10": "ICD10", "OPCS4": "OPCS4"}
CODE_SYSTEMS.update({"OPCS": "OPCS4", "OPCS-4": "OPCS4", "SCT": "SNOMED", "SNOMED": "SNOMED"})
ADMISSION_METHOD = re.compile(r"^[0-9][0-9A-Z]$")
DISCHARGE_METHOD = re.compile(r"^[1-589]$")
_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4})?$")


@dataclass
class _Msg:
    segments: dict[str, list[Any]]

    def first(self, name: str) -> Any | None:
        found = self.segments.get(name)
        return found[0] if found else None


def _v(element: Any, path: str) -> str:
    """The ER7 text of a field/component path like ``pid_3`` or ``pv1_3.pl_4``."""
    node = element
    try:
        for part in path.split("."):
            node = getattr(node, part)
        return str(node.to_er7()).strip()
    except (HL7apyException, AttributeError, IndexError):
        return ""


def parse_ts(raw: str, field: str) -> datetime | None:
    """HL7 TS/DTM -> aware UTC datetime (no offset: Europe/London local time)."""
    raw = raw.split("^", maxsplit=1)[0].strip()
    if not raw:
        return None
    m = _TS.match(raw)
    if not m:
        raise MappingError(field, "unparseable timestamp")
    year, month, day, hour, minute, second, offset = m.groups()
    try:
        value = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0),
        )  # fmt: skip
    except ValueError:
        raise MappingError(field, "not a valid date/time") from None
    if offset:
        sign = 1 if offset[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return value.replace(tzinfo=tz).astimezone(UTC)
    return value.replace(tzinfo=LONDON).astimezone(UTC)


def _date(raw: str, field: str) -> date | None:
    raw = raw.split("^", maxsplit=1)[0].strip()
    if not raw:
        return None
    if len(raw) < 8:
        raise MappingError(field, "not a full date")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise MappingError(field, "not a valid date") from None


def _provider(msg: _Msg, ctx: MapContext) -> str:
    """MSH-4 or PV1-39 when it is an NHS trust (or trust site) ODS code, else the context's
    source ODS, else a surrogate code for the sending facility."""
    msh, pv1 = msg.first("MSH"), msg.first("PV1")
    candidates = [_v(msh, "msh_4.hd_1"), _v(pv1, "pv1_39.is_1") if pv1 is not None else ""]
    for code in (c.upper() for c in candidates if c):
        label = org_label(code)
        if label == "NHSTrust":
            return code
        if label == "Site":
            return str(trust_of_site(code))
    if ctx.source_ods:
        return ctx.source_ods
    return surrogate_ods("hl7-sending-facility", _v(msh, "msh_4") or "unknown")


def _person(msg: _Msg, ctx: MapContext, provider: str, record_key: str) -> tuple[NodeRow, Any]:
    pid = msg.first("PID")
    if pid is None:
        raise MappingError("PID", "no PID segment")
    nhs_number, local_id, placeholder = cx_identity(pid.pid_3 if _v(pid, "pid_3") else [], _v)
    birth = _date(_v(pid, "pid_7"), "PID-7")
    sex_raw = _v(pid, "pid_8").upper()
    postcode = _v(pid, "pid_11.xad_5") if _v(pid, "pid_11") else ""
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
        given_name=_v(pid, "pid_5.xpn_2") or None,
        family_name=_v(pid, "pid_5.xpn_1").split("&")[0] or None,
        birth_date=birth.isoformat() if birth else None,
        sex_code=SEX.get(sex_raw),
        postcode=normalise_postcode(postcode) or (postcode or None),
    )
    return NodeRow("PseudonymisedPerson", key, drop_none(props)), evidence


def _gp(msg: _Msg) -> str | None:
    pd1 = msg.first("PD1")
    if pd1 is None:
        return None
    for path in ("pd1_3.xon_3", "pd1_3.xon_10"):
        code = _v(pd1, path).upper()
        if GP_CODE.match(code):
            return code
    return None


def _coded(seg: Any, path: str, field: str) -> tuple[str, str, str | None] | None:
    """(system, code, display) of a CE/CWE field; None when its coding system is not one
    the ontology holds (e.g. ICD-9): the segment is then not mapped, like an unmapped
    resource type. A code that claims ICD-10/OPCS-4/SNOMED CT but is malformed rejects."""
    code, display, system = (_v(seg, f"{path}.ce_{i}") for i in (1, 2, 3))
    if not code:
        code, display, system = (_v(seg, f"{path}.cwe_{i}") for i in (1, 2, 3))
    ours = CODE_SYSTEMS.get(system.upper())
    if ours is None:
        return None
    code = code if ours == "SNOMED" else code.upper()
    if not CODE_FORMATS[ours].match(code):
        raise MappingError(field, f"not a valid {ours} code")
    return ours, code, display or None


def _clinical(msg: _Msg, encounter: NodeRow, provider: str) -> tuple[list[NodeRow], list[RelRow]]:
    nodes: list[NodeRow] = []
    rels: list[RelRow] = []
    enc_id = encounter.key["encounter_id"]
    specs = (("DG1", "Diagnosis", "diagnosis", "HAS_DIAGNOSIS"),
             ("PR1", "Procedure", "procedure", "HAD_PROCEDURE"))  # fmt: skip
    for seg_name, label, stem, rel in specs:
        for n, seg in enumerate(msg.segments.get(seg_name, []), 1):
            tag = seg_name.lower()
            coded = _coded(seg, f"{tag}_3", f"{seg_name}-3")
            if coded is None:
                continue
            system, code, display = coded
            when = parse_ts(_v(seg, f"{tag}_5"), f"{seg_name}-5")
            props: dict[str, Any] = {
                f"{stem}_date": when.date() if when else None,
                "code_system": system, "code": code, "display": display,
                "provider_ods": provider,
            }  # fmt: skip
            if seg_name == "DG1" and _v(seg, "dg1_15"):
                props["is_primary"] = _v(seg, "dg1_15") == "1"
            node = NodeRow(label, {f"{stem}_id": f"{enc_id}:{tag}:{_v(seg, f'{tag}_1') or n}"})
            node = NodeRow(label, node.key, drop_none(props))
            concept = NodeRow("CodedConcept", {"system": system, "code": code})
            concept = NodeRow(concept.label, concept.key, drop_none({"display": display}))
            nodes += [node, concept]
            rels.append(RelRow(rel, "Encounter", encounter.key, label, node.key))
            rels.append(RelRow("CODED_AS", label, node.key, "CodedConcept", concept.key))
    return nodes, rels


def _encounter(msg: _Msg, provider: str, control_id: str) -> tuple[NodeRow, list[RelRow]]:
    pv1, msh = msg.first("PV1"), msg.first("MSH")
    if pv1 is None:
        raise MappingError("PV1", "no PV1 segment")
    visit = _v(pv1, "pv1_19.cx_1") or _v(pv1, "pv1_19").split("^", 1)[0]
    enc_id = f"{provider}:hl7:{safe_id(visit)}" if visit else f"{provider}:hl7msg:{control_id}"
    admission = _v(pv1, "pv1_4")
    discharge = _v(pv1, "pv1_36")
    sending = _v(msh, "msh_3.hd_1")
    props = {
        "encounter_class": CLASSES.get(_v(pv1, "pv1_2").upper(), "other"),
        "start_date_time": parse_ts(_v(pv1, "pv1_44"), "PV1-44"),
        "end_date_time": parse_ts(_v(pv1, "pv1_45"), "PV1-45"),
        "admission_method_code": admission if ADMISSION_METHOD.match(admission) else None,
        "discharge_method_code": discharge if DISCHARGE_METHOD.match(discharge) else None,
        "source_system": f"hl7:{sending}" if sending else SOURCE,
        "provider_ods": provider,
    }
    node = NodeRow("Encounter", {"encounter_id": enc_id}, drop_none(props))
    org_code = provider if org_label(provider) == "NHSTrust" else None
    rels = []
    if org_code:
        rels.append(
            RelRow("AT_ORGANISATION", "Encounter", node.key, "NHSTrust", {"ods_code": org_code})
        )
    else:
        rels.append(
            RelRow("AT_ORGANISATION", "Encounter", node.key, "Site", {"ods_code": provider})
        )
    site = (_v(pv1, "pv1_3.pl_4.hd_1") or _v(pv1, "pv1_3.pl_4")).upper()
    if org_label(site) == "Site":
        rels.append(RelRow("AT_ORGANISATION", "Encounter", node.key, "Site", {"ods_code": site}))
        trust = trust_of_site(site)
        rels.append(RelRow("PART_OF", "Site", {"ods_code": site}, "NHSTrust", {"ods_code": trust}))
    return node, rels


def _parse(text: str) -> _Msg:
    message = parse_message(text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    segments: dict[str, list[Any]] = {}
    for seg in message.children:
        segments.setdefault(seg.name, []).append(seg)
    return _Msg(segments)


def map_message(text: str, *, position: str, ctx: MapContext) -> Outcome:
    """One HL7 v2 message (segments separated by CR) -> MappedRecord | Rejection | Skipped."""
    first_line = text.split("\r", 1)[0]
    if not first_line.startswith("MSH"):
        return Rejection(SOURCE, position, "MSH", "message does not start with an MSH segment")
    try:
        msh = parse_segment(first_line, validation_level=VALIDATION_LEVEL.TOLERANT)
    except (HL7apyException, ValueError, IndexError):
        return Rejection(SOURCE, position, "MSH", "unparseable MSH segment")
    code, event = _v(msh, "msh_9.msg_1").upper(), _v(msh, "msh_9.msg_2").upper()
    if not code:
        code, event = ([*_v(msh, "msh_9").upper().split("^"), ""])[:2]
    if code != "ADT" or event not in ENCOUNTER_EVENTS | PERSON_EVENTS | AMENDING_EVENTS:
        return Skipped(SOURCE, position, f"message type {code}^{event} not mapped")
    control_id = safe_id(_v(msh, "msh_10"))
    if not _v(msh, "msh_10"):
        return Rejection(SOURCE, position, "MSH-10", "message has no control id")
    facility = _v(msh, "msh_4.hd_1") or "unknown"
    record_key = f"{safe_id(facility)}:{control_id}"
    try:
        msg = _parse(text)
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
            encounter, enc_rels = _encounter(msg, provider, control_id)
            clinical_nodes, clinical_rels = _clinical(msg, encounter, provider)
            nodes += [encounter, *clinical_nodes]
            rels += [RelRow("SUBJECT_OF", person.label, person.key, "Encounter", encounter.key)]
            rels += enc_rels + clinical_rels
        elif event in (amend.CANCEL_ADMIT, amend.CANCEL_DISCHARGE):
            encounter, enc_rels = _encounter(msg, provider, control_id)
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
            when = parse_ts(_v(evn, "evn_2"), "EVN-2") if evn is not None else None
            prior, merge = amend.merge_patient(
                msg.first("MRG"), _v, ctx=ctx, provider=provider, source=SOURCE,
                surviving=person, merged_at=when or parse_ts(_v(msh, "msh_7"), "MSH-7"),
            )  # fmt: skip
            nodes.append(prior)
            amendments.append(merge)
    except MappingError as exc:
        return Rejection(SOURCE, position, exc.field, f"ADT^{event}: {exc.reason}")
    except (HL7apyException, ValueError, IndexError, AttributeError) as exc:
        return Rejection(SOURCE, position, None, f"ADT^{event}: unparseable ({type(exc).__name__})")
    digest = canonical_hash(text.split("\r"))
    return MappedRecord(SOURCE, position, record_key, digest, nodes, rels, [evidence], amendments)
