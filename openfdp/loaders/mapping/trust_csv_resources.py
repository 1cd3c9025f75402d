"""Resource trust extracts: theatres and theatre sessions and bookings, staff and rosters,
wards and beds. No person-identifying data here: staff appear only by
``<trust ODS>:<local id>``. Supplier contracts and data processing agreements are in
:mod:`~openfdp.loaders.mapping.trust_csv_supply`.
"""

from __future__ import annotations

from openfdp.loaders.mapping.trust_csv_common import (
    FieldProblem,
    Line,
    boolean,
    code,
    integer,
    iso_date,
    ods,
    provider,
    req,
    site_rows,
    text,
    trust_key,
)
from openfdp.loaders.mapping.trust_csv_records import clean, guard, record
from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, RelRow


def _site(line: Line, prov: str) -> str:
    site = ods(line.row, "site_ods", site=True, required=True)
    assert site is not None
    return site


@guard
def map_theatre_session(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    site = _site(line, prov)
    theatre = {"theatre_id": f"{site}:{req(row, 'theatre_code')}"}
    session = {"session_id": f"{prov}:{req(row, 'session_id')}"}
    am_pm = (text(row, "am_pm") or "").upper() or None
    if am_pm not in {None, "AM", "PM", "AD"}:
        raise FieldProblem("am_pm", "not AM, PM or AD")
    site_node, part_of = site_rows(site, prov)
    nodes = [
        site_node,
        NodeRow(
            "Theatre",
            theatre,
            clean(
                provider_ods=prov,
                name=text(row, "theatre_name"),
                theatre_type=text(row, "theatre_type"),
            ),
        ),
        NodeRow(
            "TheatreSession",
            session,
            clean(
                provider_ods=prov,
                session_date=iso_date(row, "session_date", required=True),
                am_pm=am_pm,
                session_type=text(row, "session_type"),
                status=text(row, "status"),
                planned_minutes=integer(row, "planned_minutes"),
                booked_minutes=integer(row, "booked_minutes"),
                used_minutes=integer(row, "used_minutes"),
                treatment_function_code=code(ctx, row, "tfc", "TFC"),
            ),
        ),
    ]
    rels = [
        part_of,
        RelRow("AT_SITE", "Theatre", theatre, "Site", {"ods_code": site}),
        RelRow("IN_THEATRE", "TheatreSession", session, "Theatre", theatre),
    ]
    return record(line, session["session_id"], nodes, rels)


@guard
def map_theatre_booking(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    booking = {"booking_id": f"{prov}:{req(row, 'booking_id')}"}
    session = {"session_id": f"{prov}:{req(row, 'session_id')}"}
    node = NodeRow(
        "TheatreBooking",
        booking,
        clean(
            provider_ods=prov,
            booking_status=text(row, "booking_status"),
            expected_minutes=integer(row, "expected_minutes"),
            actual_minutes=integer(row, "actual_minutes"),
            cancelled_on_the_day=boolean(row, "cancelled_on_the_day"),
        ),
    )
    rels = [RelRow("IN_SESSION", "TheatreBooking", booking, "TheatreSession", session)]
    entry = text(row, "wl_entry_id")
    if entry:
        rels.append(
            RelRow(
                "FOR_ENTRY",
                "TheatreBooking",
                booking,
                "WaitingListEntry",
                {"entry_id": f"{prov}:{entry}"},
            )
        )
    return record(line, booking["booking_id"], [node], rels)


@guard
def map_staff(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    staff = {"staff_id": f"{prov}:{req(row, 'staff_local_id')}"}
    role = {"role_code": req(row, "role_code")}
    nodes = [
        NodeRow(
            "StaffMember",
            staff,
            clean(
                provider_ods=prov,
                main_specialty_code=text(row, "main_specialty_code"),
                active=boolean(row, "active"),
            ),
        ),
        NodeRow("Role", role, clean(name=text(row, "role_name"))),
    ]
    rels = [
        RelRow("HAS_ROLE", "StaffMember", staff, "Role", role),
        RelRow("EMPLOYED_BY", "StaffMember", staff, "NHSTrust", trust_key(prov)),
    ]
    return record(line, staff["staff_id"], nodes, rels)


@guard
def map_roster(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    shift = {"shift_id": f"{prov}:{req(row, 'shift_id')}"}
    staff = {"staff_id": f"{prov}:{req(row, 'staff_local_id')}"}
    node = NodeRow(
        "Shift",
        shift,
        clean(
            provider_ods=prov,
            shift_date=iso_date(row, "shift_date", required=True),
            start_time=text(row, "start_time"),
            end_time=text(row, "end_time"),
            shift_type=text(row, "shift_type"),
        ),
    )
    rels = [RelRow("WORKS", "StaffMember", staff, "Shift", shift)]
    site = ods(row, "site_ods", site=True)
    nodes = [node]
    if site:
        site_node, part_of = site_rows(site, prov)
        nodes.append(site_node)
        rels += [part_of, RelRow("AT_SITE", "Shift", shift, "Site", {"ods_code": site})]
    return record(line, shift["shift_id"], nodes, rels)


@guard
def map_ward_bed(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    site = _site(line, prov)
    ward_code = req(row, "ward_code")
    ward = {"ward_id": f"{site}:{ward_code}"}
    bed = {"bed_id": f"{ward['ward_id']}:{req(row, 'bed_code')}"}
    status = text(row, "status")
    if status not in {None, "occupied", "available", "closed"}:
        raise FieldProblem("status", "not occupied, available or closed")
    site_node, part_of = site_rows(site, prov)
    nodes = [
        site_node,
        NodeRow(
            "Ward",
            ward,
            clean(provider_ods=prov, ward_code=ward_code, name=text(row, "ward_name")),
        ),
        NodeRow(
            "Bed", bed, clean(provider_ods=prov, bed_type=text(row, "bed_type"), status=status)
        ),
    ]
    rels = [
        part_of,
        RelRow("AT_SITE", "Ward", ward, "Site", {"ods_code": site}),
        RelRow("IN_WARD", "Bed", bed, "Ward", ward),
    ]
    return record(line, bed["bed_id"], nodes, rels)
