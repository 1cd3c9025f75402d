"""Construction of the GraphQL pathway and person types from query rows: a pathway with its
clock periods (days and weeks waited as of a date), status events (RTT status label and
clock effect), appointments and linked pathways, a pathway in brief, and a person's
timeline events (one per record, in date order).
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from openfdp.api.schema import codes
from openfdp.api.schema.common import build
from openfdp.api.schema.organisations import OrganisationRef
from openfdp.api.schema.pathway_types import (
    Appointment,
    ClockPeriod,
    Diagnosis,
    Pathway,
    PathwaySummary,
    PersonRef,
    Procedure,
    StatusEvent,
    TimelineEvent,
    TimelineKind,
)


def pathway_id(issuer: str, ppid: str) -> str:
    return f"{issuer}:{ppid}"


def clock_period(row: dict[str, Any], as_of: datetime.date) -> ClockPeriod:
    period = build(ClockPeriod, row)
    if period.start_date is None:
        days: int | None = None
    elif period.end_date is None:
        days = (as_of - period.start_date).days
    else:
        days = period.length_days
        if days is None:
            days = (period.end_date - period.start_date).days
    period.days_waited = days
    period.weeks_waited = None if days is None else days // 7
    return period


def status_event(row: dict[str, Any]) -> StatusEvent:
    code = row.get("status_code")
    return build(
        StatusEvent,
        row,
        status_display=codes.label("RTT_STATUS", code),
        clock_effect=codes.CLOCK_EFFECT.get(code or ""),
    )


def summary(row: dict[str, Any]) -> PathwaySummary:
    return build(
        PathwaySummary, row, id=strawberry.ID(pathway_id(row["ppid_issuer_ods"], row["ppid"]))
    )


def to_pathway(row: dict[str, Any], as_of: datetime.date) -> Pathway:
    periods = [clock_period(p, as_of) for p in row.get("periods") or []]
    current = periods[-1] if periods else None
    person = row.get("person")
    appointments = []
    for a in row.get("appointments") or []:
        site = a.get("site")
        ref = (
            None
            if site is None
            else OrganisationRef(ods_code=site["ods_code"], name=site["name"], kinds=["Site"])
        )
        appointments.append(build(Appointment, a, site=ref))
    return build(
        Pathway,
        row,
        id=strawberry.ID(pathway_id(row["ppid_issuer_ods"], row["ppid"])),
        provider=OrganisationRef(
            ods_code=row["provider_ods"], name=row.get("provider_name"), kinds=["NHSTrust"]
        ),
        treatment_function_name=codes.label("TFC", row.get("treatment_function_code")),
        days_waiting=current.days_waited if current else None,
        weeks_waiting=current.weeks_waited if current else None,
        current_period=current,
        clock_periods=periods,
        status_events=[status_event(e) for e in row.get("events") or []],
        appointments=appointments,
        procedures=[build(Procedure, x) for x in row.get("procedures") or []],
        diagnoses=[build(Diagnosis, x) for x in row.get("diagnoses") or []],
        person=None if person is None else build(PersonRef, person),
        pathways_at_other_trusts=[summary(x) for x in row.get("linked_pathways") or []],
    )


def timeline_events(rows: list[dict[str, Any]]) -> list[TimelineEvent]:
    """Events in date order; one event per record (a procedure reached through both its
    encounter and its pathway keeps the pathway)."""
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["kind"], r["record_id"])
        if key not in chosen or (chosen[key].get("pathway_id") is None and r.get("pathway_id")):
            chosen[key] = r
    events = []
    for r in chosen.values():
        kind = TimelineKind(r["kind"])
        display = r.get("display")
        if display is None and kind is TimelineKind.RTT_STATUS:
            display = codes.label("RTT_STATUS", r.get("code"))
        events.append(build(TimelineEvent, r, kind=kind, display=display))
    events.sort(key=lambda e: (e.date or datetime.date.max, e.kind.value, e.record_id))
    return events
