"""The encounter part of an HL7 v2 ADT message: the encounter of PV1 (class, admission
and discharge, the trust or site it took place at) and the diagnoses (DG1) and procedures
(PR1) coded in ICD-10, OPCS-4 or SNOMED CT, each with its coded concept. A code in another
coding system leaves its segment unmapped; a malformed code rejects the message.
"""

from __future__ import annotations

import re
from typing import Any

from openfdp.loaders.mapping.fhir_common import CODE_FORMATS, MappingError, drop_none, safe_id
from openfdp.loaders.mapping.hl7v2_segments import Message, parse_ts, value
from openfdp.loaders.mapping.ods import org_label, trust_of_site
from openfdp.loaders.model import NodeRow, RelRow

CLASSES = {"I": "inpatient", "O": "outpatient", "E": "emergency", "R": "outpatient"}
CLASSES.update({"B": "inpatient", "P": "other", "C": "other", "N": "other"})
CODE_SYSTEMS = {"ICD10": "ICD10", "I10": "ICD10", "ICD-10": "ICD10", "OPCS4": "OPCS4"}
CODE_SYSTEMS.update({"OPCS": "OPCS4", "OPCS-4": "OPCS4", "SCT": "SNOMED", "SNOMED": "SNOMED"})
ADMISSION_METHOD = re.compile(r"^[0-9][0-9A-Z]$")
DISCHARGE_METHOD = re.compile(r"^[1-589]$")


def coding(seg: Any, path: str, field: str) -> tuple[str, str, str | None] | None:
    """(system, code, display) of a CE/CWE field; None when its coding system is not one
    the ontology holds (e.g. ICD-9): the segment is then not mapped, like an unmapped
    resource type. A code that claims ICD-10/OPCS-4/SNOMED CT but is malformed rejects."""
    code, display, system = (value(seg, f"{path}.ce_{i}") for i in (1, 2, 3))
    if not code:
        code, display, system = (value(seg, f"{path}.cwe_{i}") for i in (1, 2, 3))
    ours = CODE_SYSTEMS.get(system.upper())
    if ours is None:
        return None
    code = code if ours == "SNOMED" else code.upper()
    if not CODE_FORMATS[ours].match(code):
        raise MappingError(field, f"not a valid {ours} code")
    return ours, code, display or None


def clinical_rows(
    msg: Message, encounter: NodeRow, provider: str
) -> tuple[list[NodeRow], list[RelRow]]:
    nodes: list[NodeRow] = []
    rels: list[RelRow] = []
    enc_id = encounter.key["encounter_id"]
    specs = (("DG1", "Diagnosis", "diagnosis", "HAS_DIAGNOSIS"),
             ("PR1", "Procedure", "procedure", "HAD_PROCEDURE"))  # fmt: skip
    for seg_name, label, stem, rel in specs:
        for n, seg in enumerate(msg.segments.get(seg_name, []), 1):
            tag = seg_name.lower()
            coded = coding(seg, f"{tag}_3", f"{seg_name}-3")
            if coded is None:
                continue
            system, code, display = coded
            when = parse_ts(value(seg, f"{tag}_5"), f"{seg_name}-5")
            props: dict[str, Any] = {
                f"{stem}_date": when.date() if when else None,
                "code_system": system, "code": code, "display": display,
                "provider_ods": provider,
            }  # fmt: skip
            if seg_name == "DG1" and value(seg, "dg1_15"):
                props["is_primary"] = value(seg, "dg1_15") == "1"
            node = NodeRow(label, {f"{stem}_id": f"{enc_id}:{tag}:{value(seg, f'{tag}_1') or n}"})
            node = NodeRow(label, node.key, drop_none(props))
            concept = NodeRow("CodedConcept", {"system": system, "code": code})
            concept = NodeRow(concept.label, concept.key, drop_none({"display": display}))
            nodes += [node, concept]
            rels.append(RelRow(rel, "Encounter", encounter.key, label, node.key))
            rels.append(RelRow("CODED_AS", label, node.key, "CodedConcept", concept.key))
    return nodes, rels


def encounter_rows(
    msg: Message, provider: str, control_id: str, source: str
) -> tuple[NodeRow, list[RelRow]]:
    pv1, msh = msg.first("PV1"), msg.first("MSH")
    if pv1 is None:
        raise MappingError("PV1", "no PV1 segment")
    visit = value(pv1, "pv1_19.cx_1") or value(pv1, "pv1_19").split("^", 1)[0]
    enc_id = f"{provider}:hl7:{safe_id(visit)}" if visit else f"{provider}:hl7msg:{control_id}"
    admission = value(pv1, "pv1_4")
    discharge = value(pv1, "pv1_36")
    sending = value(msh, "msh_3.hd_1")
    props = {
        "encounter_class": CLASSES.get(value(pv1, "pv1_2").upper(), "other"),
        "start_date_time": parse_ts(value(pv1, "pv1_44"), "PV1-44"),
        "end_date_time": parse_ts(value(pv1, "pv1_45"), "PV1-45"),
        "admission_method_code": admission if ADMISSION_METHOD.match(admission) else None,
        "discharge_method_code": discharge if DISCHARGE_METHOD.match(discharge) else None,
        "source_system": f"hl7:{sending}" if sending else source,
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
    site = (value(pv1, "pv1_3.pl_4.hd_1") or value(pv1, "pv1_3.pl_4")).upper()
    if org_label(site) == "Site":
        rels.append(RelRow("AT_ORGANISATION", "Encounter", node.key, "Site", {"ods_code": site}))
        trust = trust_of_site(site)
        rels.append(RelRow("PART_OF", "Site", {"ods_code": site}, "NHSTrust", {"ods_code": trust}))
    return node, rels
