"""Resources: theatre sessions and unbooked capacity, staff on shift, bed occupancy.

Operational data, not personal: readable for the trusts the caller may read records or
aggregates of (``scope.providers | scope.aggregate_providers``); anonymous callers are
refused. Staff appear only as counts per role, never as individuals.
"""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from openfdp.api.errors import AccessDenied, BadRequest
from openfdp.api.schema import codes
from openfdp.api.schema.common import (
    After,
    Connection,
    First,
    From,
    Info,
    To,
    backed_by,
    build,
    connection,
    fetch,
    operational_providers,
    page_of,
    slice_connection,
)
from openfdp.store.queries import resources as q

SESSIONS = "theatreSessions"  # what the sessions' cursors page

MAX_RANGE_DAYS = 366


def _ratio(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@backed_by("Theatre")
@strawberry.type
class Theatre:
    theatre_id: str
    name: str | None
    theatre_type: str | None


@backed_by(
    "TheatreSession",
    derived=("theatre", "unbooked_minutes", "bookings", "booked_utilisation", "utilisation"),
)
@strawberry.type
class TheatreSession:
    session_id: str
    session_date: datetime.date
    am_pm: str | None
    session_type: str | None
    status: str | None
    treatment_function_code: str | None
    planned_minutes: int | None
    booked_minutes: int | None = strawberry.field(
        description="As recorded, else the sum of its bookings' expected minutes."
    )
    used_minutes: int | None
    theatre: Theatre
    bookings: int = strawberry.field(description="Bookings not cancelled on the day.")
    unbooked_minutes: int | None = strawberry.field(description="planned - booked, at least 0.")
    booked_utilisation: float | None = strawberry.field(description="booked / planned, %.")
    utilisation: float | None = strawberry.field(description="used / planned, % (uncapped).")


@strawberry.type(description="Minutes over all sessions of the range (every page).")
class TheatreSummary:
    planned_minutes: int
    booked_minutes: int
    unbooked_minutes: int
    used_minutes: int
    booked_utilisation: float | None
    utilisation: float | None


@strawberry.type
class TheatreSessions:
    summary: TheatreSummary
    sessions: Connection[TheatreSession]


@strawberry.type(description="Unbooked theatre capacity of one site and treatment function.")
class CapacityRow:
    provider_ods: str | None
    site_ods: str
    site_name: str | None
    treatment_function_code: str
    treatment_function_name: str | None
    sessions: int
    empty_sessions: int = strawberry.field(description="Sessions with nothing booked.")
    planned_minutes: int
    booked_minutes: int
    unbooked_minutes: int


@strawberry.type(description="Staff on shift at a site on a date, by role and shift type.")
class StaffAvailability:
    role_code: str
    role_name: str | None
    shift_type: str | None
    staff_on_shift: int
    earliest_start: datetime.time | None
    latest_end: datetime.time | None


@backed_by("Ward", derived=("beds", "occupied", "available", "closed", "occupancy_pct"))
@strawberry.type
class WardOccupancy:
    ward_id: str
    ward_code: str | None
    name: str | None
    beds: int
    occupied: int
    available: int
    closed: int
    occupancy_pct: float | None = strawberry.field(description="occupied / open beds, %.")


def _range(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise BadRequest("'to' is before 'from'")
    if (end - start).days > MAX_RANGE_DAYS:
        raise BadRequest(f"a date range spans at most {MAX_RANGE_DAYS} days")


def _session(row: dict[str, Any]) -> TheatreSession:
    planned = row.get("planned_minutes")
    booked = row.get("booked_minutes") or 0
    used = row.get("used_minutes")
    return build(
        TheatreSession,
        row,
        theatre=build(Theatre, row["theatre"]),
        unbooked_minutes=None if planned is None else max(planned - booked, 0),
        booked_utilisation=_ratio(booked, planned or 0),
        utilisation=None if used is None else _ratio(used, planned or 0),
    )


async def resolve_theatre_sessions(
    info: Info, *, site: str, from_: From, to: To, first: First = None, after: After = None
) -> TheatreSessions:
    _range(from_, to)
    providers = operational_providers(info.context)
    page = page_of(info.context, first, after)
    rows = await fetch(
        info,
        q.THEATRE_SESSIONS,
        site=site,
        providers=providers,
        after=page.after(SESSIONS),
        limit=page.limit,
        **{"from": from_, "to": to},
    )
    row = rows[0]
    planned, booked, used = int(row["planned"]), int(row["booked"]), int(row["used"])
    summary = TheatreSummary(
        planned_minutes=planned,
        booked_minutes=booked,
        unbooked_minutes=max(planned - booked, 0),
        used_minutes=used,
        booked_utilisation=_ratio(booked, planned),
        utilisation=_ratio(used, planned),
    )
    sessions = [_session(s) for s in row["items"]]
    info.context.audit.record(rows=len(sessions))
    paged = connection(
        sessions, row["keys"], kind=SESSIONS, total=row["total"], page=page,
        has_next=row["has_next"],
    )  # fmt: skip
    return TheatreSessions(summary=summary, sessions=paged)


async def resolve_unbooked_capacity(
    info: Info, *, icb: str, from_: From, to: To, first: First = None, after: After = None
) -> Connection[CapacityRow]:
    _range(from_, to)
    providers = operational_providers(info.context)
    page = page_of(info.context, first, after)
    rows = await fetch(
        info, q.UNBOOKED_CAPACITY, icb=icb, providers=providers, **{"from": from_, "to": to}
    )
    row = rows[0]
    outside = sorted(set(row["wanted"]) - set(providers))
    if outside:
        raise AccessDenied("your access does not cover the theatres of " + ", ".join(outside))
    items = [
        build(
            CapacityRow,
            r,
            treatment_function_name=codes.label("TFC", r["treatment_function_code"]),
        )
        for r in row["rows"]
    ]
    info.context.audit.record(rows=len(items))
    return slice_connection(
        items,
        page,
        kind="unbookedCapacity",
        key=lambda r: (-r.unbooked_minutes, r.site_ods, r.treatment_function_code),
    )


async def resolve_staff_availability(
    info: Info,
    *,
    site: str,
    date: datetime.date,
    role: str | None = None,
    first: First = None,
    after: After = None,
) -> Connection[StaffAvailability]:
    providers = operational_providers(info.context)
    page = page_of(info.context, first, after)
    rows = await fetch(
        info, q.STAFF_AVAILABILITY, site=site, date=date, role=role, providers=providers
    )
    items = [build(StaffAvailability, r, staff_on_shift=r["staff"]) for r in rows]
    info.context.audit.record(rows=len(items))
    return slice_connection(
        items, page, kind="staffAvailability", key=lambda r: (r.role_code, r.shift_type)
    )


async def resolve_bed_occupancy(
    info: Info, *, site: str, first: First = None, after: After = None
) -> Connection[WardOccupancy]:
    providers = operational_providers(info.context)
    page = page_of(info.context, first, after)
    rows = await fetch(info, q.BED_OCCUPANCY, site=site, providers=providers)
    wards = []
    for r in rows:
        w = r["ward"]
        statuses: list[str] = w["statuses"]
        occupied = statuses.count("occupied")
        closed = statuses.count("closed")
        wards.append(
            build(
                WardOccupancy,
                w,
                beds=len(statuses),
                occupied=occupied,
                available=statuses.count("available"),
                closed=closed,
                occupancy_pct=_ratio(occupied, len(statuses) - closed),
            )
        )
    info.context.audit.record(rows=len(wards))
    return slice_connection(
        wards, page, kind="bedOccupancy", key=lambda w: (w.ward_code, w.ward_id)
    )
