"""Patient-level trust extracts: waiting list (RTT events), outpatient appointments, opt-outs.

The waiting list carries one row per RTT status event; the rows of one pathway arrive
together (see docs/formats.md) and are mapped as a group, so the clock periods can be
derived from all its events (:mod:`openfdp.loaders.rtt`). Each row is still one record: one outcome
per row, the derived periods attached to the record of the group's last valid row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openfdp.loaders.mapping.trust_csv_common import (
    FieldProblem,
    Line,
    code,
    iso_date,
    ods,
    person,
    provider,
    req,
    site_rows,
    subject_of,
    text,
    trust_key,
)
from openfdp.loaders.mapping.trust_csv_records import clean
from openfdp.loaders.mapping.trust_csv_waiting_list import RowFacts, waiting_list_row
from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, Outcome, Rejection, RelRow
from openfdp.loaders.privacy import (
    is_placeholder_nhs_number,
    nhs_number_is_valid,
    normalise_nhs_number,
)
from openfdp.loaders.rtt import derive_periods
from openfdp.loaders.rtt_clock import StatusEvent


def pathway_key(row: dict[str, str]) -> tuple[str, str]:
    """The grouping key of a waiting-list row: (issuer ODS, PPID), upper-cased and stripped."""
    return ((row.get("ppid_issuer_ods") or "").strip().upper(), (row.get("ppid") or "").strip())


def _reject(line: Line, exc: FieldProblem) -> Rejection:
    return Rejection(line.source, line.position, exc.field, exc.reason)


def map_waiting_list_group(lines: Sequence[Line], ctx: MapContext) -> list[Outcome]:
    """All rows of one pathway -> one outcome per row, with the derived clock periods."""
    out: list[Outcome] = []
    events: list[StatusEvent] = []
    facts: list[RowFacts] = []
    last: MappedRecord | None = None
    for line in lines:
        try:
            record, event, fact = waiting_list_row(line, ctx)
        except FieldProblem as exc:
            out.append(_reject(line, exc))
            continue
        out.append(record)
        events.append(event)
        facts.append(fact)
        last = record
    if last is not None:
        _attach_periods(last, events, facts)
    return out


def _first(values: Sequence[Any]) -> Any:
    return next((v for v in values if v is not None), None)


def _attach_periods(record: MappedRecord, events: list[StatusEvent], facts: list[RowFacts]) -> None:
    pathway = next(n for n in record.nodes if n.label == "RTTPathway")
    prov = pathway.props.get("provider_ods")
    clock = derive_periods(
        events,
        referral_date=_first([f.referral_date for f in facts]),
        transfer_start=_first([f.transfer_start for f in facts]),
    )
    issuer, ppid = pathway.key["ppid_issuer_ods"], pathway.key["ppid"]
    record.nodes.append(NodeRow("RTTPathway", pathway.key, {"pathway_status": clock.status}))
    # another provider's periods of the same pathway (kept PPID after a transfer) stay apart
    at = "" if prov == issuer else f"@{prov}"
    for period in clock.periods:
        start = period.start_date.isoformat() if period.start_date else "unknown"
        key = {"period_id": f"{issuer}:{ppid}:{start}{at}"}
        props: dict[str, Any] = {
            "provider_ods": prov,
            "start_date": period.start_date,
            "start_source": period.start_source,
            "end_date": period.end_date,
            "status": period.status,
            "stop_status_code": period.stop_status_code,
            "length_days": period.length_days,
            "nullified": period.nullified,
            "transferred_in": period.transferred_in,
            "transferred_out_date": period.transferred_out_date,
            "transferred_to_ods": period.transferred_to,
            "data_quality_flags": list(period.flags),
            **period.breach_dates(),
        }
        record.nodes.append(NodeRow("RTTPeriod", key, props))
        record.rels.append(RelRow("HAS_PERIOD", "RTTPathway", pathway.key, "RTTPeriod", key))
        sender = _first([f.transfer_from for f in facts])
        if period.transferred_in and sender:
            record.rels.append(
                RelRow("TRANSFERRED_FROM", "RTTPeriod", key, "NHSTrust", trust_key(sender))
            )


def map_outpatient(line: Line, ctx: MapContext) -> Outcome:
    row = line.row
    try:
        prov = provider(line, ctx)
        appt_id = req(row, "appointment_id")
        appt_date = iso_date(row, "appointment_date", required=True)
        site = ods(row, "site_ods", site=True)
        issuer = ods(row, "ppid_issuer_ods")
        ppid = text(row, "ppid")
        props = clean(
            provider_ods=prov,
            appointment_date=appt_date,
            first_attendance_code=code(ctx, row, "first_attendance", "FIRST_ATTENDANCE"),
            attended_or_dna_code=code(ctx, row, "attended_or_dna", "ATTENDED_OR_DNA"),
            outcome_of_attendance_code=code(
                ctx, row, "outcome_of_attendance", "OUTCOME_OF_ATTENDANCE"
            ),
            treatment_function_code=code(ctx, row, "tfc", "TFC"),
            consultation_medium_code=code(ctx, row, "consultation_medium", "CONSULTATION_MEDIUM"),
        )
        person_row, evidence = person(line, ctx, prov)
    except FieldProblem as exc:
        return _reject(line, exc)
    key = {"appointment_id": f"{prov}:{appt_id}"}
    nodes = [person_row, NodeRow("Appointment", key, props)]
    rels = [subject_of(person_row, "Appointment", key)]
    if issuer and ppid:
        rels.append(
            RelRow(
                "ON_PATHWAY",
                "Appointment",
                key,
                "RTTPathway",
                {"ppid_issuer_ods": issuer, "ppid": ppid},
            )
        )
    if site:
        site_node, part_of = site_rows(site, prov)
        nodes.append(site_node)
        rels += [part_of, RelRow("AT_SITE", "Appointment", key, "Site", {"ods_code": site})]
    return MappedRecord(
        line.source, line.position, f"{prov}:{appt_id}", line.hash(), nodes, rels, [evidence]
    )


_WITHDRAWN = {"": False, "n": False, "no": False, "false": False, "0": False,
              "y": True, "yes": True, "true": True, "1": True}  # fmt: skip


def map_opt_out(line: Line, ctx: MapContext) -> Outcome:
    """A National Data Opt-out: marks the person; never removes direct-care data. A row with
    ``withdrawn = Y`` records that the person withdrew their opt-out: the mark is lifted."""
    withdrawn = _WITHDRAWN.get((line.row.get("withdrawn") or "").strip().lower())
    if withdrawn is None:
        return Rejection(line.source, line.position, "withdrawn", "must be Y or N (or empty)")
    raw = normalise_nhs_number(line.row.get("nhs_number"))
    if raw is None:
        return Rejection(
            line.source, line.position, "nhs_number", "required field is missing or not 10 digits"
        )
    if is_placeholder_nhs_number(raw):
        return Rejection(
            line.source, line.position, "nhs_number", "a placeholder NHS number, not a person's"
        )
    if not nhs_number_is_valid(raw):
        return Rejection(line.source, line.position, "nhs_number", "fails the Modulus 11 check")
    pseudo_id = ctx.pseudonymiser.person_id(nhs_number=raw)
    key = ctx.pseudonymiser.person_key(pseudo_id)
    node = NodeRow(
        "PseudonymisedPerson",
        key,
        {"ndoo_opt_out": not withdrawn, "nhs_number_verified": True, "cluster_id": pseudo_id},
    )
    # the record key is a token, never the NHS number itself
    return MappedRecord(line.source, line.position, pseudo_id[:32], line.hash(), [node])
