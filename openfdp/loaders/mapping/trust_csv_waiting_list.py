"""One row of the waiting-list trust extract (one RTT status event) mapped to its record:
the person, the pathway, the status event and its coded concepts, the referral and waiting
list entry when the row names them, plus the :class:`StatusEvent` and the pathway-level
facts (:class:`RowFacts`) that :mod:`openfdp.loaders.mapping.trust_csv_patient` gathers
over the pathway's rows to derive its clock periods. Also the admitted / non-admitted
class of a pathway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from openfdp.loaders.mapping.trust_csv_common import (
    FieldProblem,
    Line,
    boolean,
    code,
    concept,
    concept_key,
    iso_date,
    ods,
    person,
    provider,
    req,
    subject_of,
    text,
    trust_key,
)
from openfdp.loaders.mapping.trust_csv_records import clean
from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, RelRow
from openfdp.loaders.rtt_clock import StatusEvent


def waiting_list_row(line: Line, ctx: MapContext) -> tuple[MappedRecord, StatusEvent, RowFacts]:
    row = line.row
    prov = provider(line, ctx)
    issuer = ods(row, "ppid_issuer_ods", required=True)
    assert issuer is not None
    ppid = req(row, "ppid")
    seq_text = req(row, "event_seq")
    if not seq_text.isdigit():
        raise FieldProblem("event_seq", "not a whole number")
    status = code(ctx, row, "status_code", "RTT_STATUS", required=True)
    assert status is not None
    activity = iso_date(row, "activity_date", required=True)
    assert activity is not None
    tfc = code(ctx, row, "tfc", "TFC", required=True)
    assert tfc is not None
    priority = code(ctx, row, "priority_type", "PRIORITY_TYPE")
    referral_date = iso_date(row, "referral_received_date")
    communicated = boolean(row, "dna_communicated")
    ipt_to = ods(row, "ipt_receiving_ods")
    ipt_start = iso_date(row, "ipt_clock_start_date")
    ipt_from = ods(row, "ipt_sending_ods")
    fit_and_ready = iso_date(row, "fit_and_ready_date")
    snapshot = iso_date(row, "snapshot_date")
    wl_type = code(ctx, row, "waiting_list_type", "WAITING_LIST_TYPE")
    intended = code(ctx, row, "intended_management", "INTENDED_MANAGEMENT")
    person_row, evidence = person(line, ctx, prov)

    pw_key = {"ppid_issuer_ods": issuer, "ppid": ppid}
    event_key = {"event_id": f"{issuer}:{ppid}:{seq_text}"}
    pathway = NodeRow(
        "RTTPathway",
        pw_key,
        clean(
            provider_ods=prov,
            treatment_function_code=tfc,
            priority_type_code=priority,
            referral_request_received_date=referral_date,
            pathway_class=pathway_class(wl_type, intended),
        ),
    )
    if snapshot is not None:  # listed in this snapshot: on the list (again)
        pathway.props.update(
            last_snapshot_date=snapshot, removed_from_list_date=None, removal_reason=None
        )
    event = NodeRow(
        "RTTStatusEvent",
        event_key,
        {
            "status_code": status,
            "activity_date": activity,
            "seq": int(seq_text),
            "provider_ods": prov,
        },
    )
    nodes = [
        person_row,
        pathway,
        event,
        concept(ctx, "RTT_STATUS", status),
        concept(ctx, "TFC", tfc),
    ]
    rels = [
        subject_of(person_row, "RTTPathway", pw_key),
        RelRow("HAS_EVENT", "RTTPathway", pw_key, "RTTStatusEvent", event_key),
        RelRow(
            "CODED_AS",
            "RTTStatusEvent",
            event_key,
            "CodedConcept",
            concept_key("RTT_STATUS", status),
        ),
        RelRow("FOR_TFC", "RTTPathway", pw_key, "CodedConcept", concept_key("TFC", tfc)),
        RelRow("ISSUED_BY", "RTTPathway", pw_key, "NHSTrust", trust_key(issuer)),
    ]
    if ipt_to is not None and status == "21":
        rels.append(RelRow("TRANSFERRED_TO", "RTTPathway", pw_key, "NHSTrust", trust_key(ipt_to)))
    referral_id = text(row, "referral_id")
    if referral_id:
        ref_key = {"referral_id": f"{prov}:{referral_id}"}
        nodes.append(
            NodeRow(
                "Referral",
                ref_key,
                clean(
                    provider_ods=prov,
                    referral_request_received_date=referral_date,
                    priority_type_code=priority,
                    source_of_referral_code=text(row, "source_of_referral"),
                ),
            )
        )
        rels += [
            subject_of(person_row, "Referral", ref_key),
            RelRow("STARTS", "Referral", ref_key, "RTTPathway", pw_key),
            RelRow("TO_ORG", "Referral", ref_key, "NHSTrust", trust_key(prov)),
        ]
    entry_id = text(row, "wl_entry_id")
    if entry_id:
        entry_key = {"entry_id": f"{prov}:{entry_id}"}
        nodes.append(
            NodeRow(
                "WaitingListEntry",
                entry_key,
                clean(
                    provider_ods=prov,
                    waiting_list_type=wl_type,
                    decided_to_admit_date=iso_date(row, "decided_to_admit_date"),
                    tci_date=iso_date(row, "tci_date"),
                    priority_type_code=priority,
                    intended_management_code=intended,
                ),
            )
        )
        rels += [
            subject_of(person_row, "WaitingListEntry", entry_key),
            RelRow("ON_PATHWAY", "WaitingListEntry", entry_key, "RTTPathway", pw_key),
            RelRow("HELD_BY", "WaitingListEntry", entry_key, "NHSTrust", trust_key(prov)),
        ]
    record = MappedRecord(
        source=line.source,
        position=line.position,
        record_key=f"{issuer}:{ppid}:{seq_text}",
        content_hash=line.hash(),
        nodes=nodes,
        rels=rels,
        identities=[evidence],
    )
    event_in = StatusEvent(
        status,
        activity,
        int(seq_text),
        communicated,
        fit_and_ready,
        ipt_to if status == "21" else None,
    )
    return record, event_in, RowFacts(referral_date, ipt_start, ipt_from)


@dataclass(frozen=True, slots=True)
class RowFacts:
    """Pathway-level facts of one row that decide the clock start."""

    referral_date: date | None
    transfer_start: date | None
    transfer_from: str | None


#: WLMDS waiting list types of admitted (inpatient) and non-admitted (outpatient) pathways
ADMITTED_TYPES = frozenset({"IRTT", "INON", "PTLI", "RTTI"})
NON_ADMITTED_TYPES = frozenset({"ORTT", "ONON", "PTLO", "RTTO"})


def pathway_class(waiting_list_type: str | None, intended_management: str | None) -> str | None:
    """admitted / non_admitted, as the RTT return splits incomplete pathways: by waiting list
    type, else an INTENDED MANAGEMENT (recorded only with a decision to admit) is admitted."""
    if waiting_list_type in ADMITTED_TYPES:
        return "admitted"
    if waiting_list_type in NON_ADMITTED_TYPES:
        return "non_admitted"
    return "admitted" if intended_management else None
