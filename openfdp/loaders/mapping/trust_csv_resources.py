"""Resource and supplier trust extracts: theatres, staff and rosters, wards and beds,
supplier contracts, data processing agreements. No person-identifying data here: staff
appear only by ``<trust ODS>:<local id>``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, Outcome, Rejection, RelRow


def _clean(**props: Any) -> dict[str, Any]:
    return {k: v for k, v in props.items() if v is not None}


def _guard(fn: Callable[[Line, MapContext], MappedRecord]) -> Callable[[Line, MapContext], Outcome]:
    def mapper(line: Line, ctx: MapContext) -> Outcome:
        try:
            return fn(line, ctx)
        except FieldProblem as exc:
            return Rejection(line.source, line.position, exc.field, exc.reason)

    mapper.__name__ = fn.__name__
    mapper.__doc__ = fn.__doc__
    return mapper


def _record(line: Line, key: str, nodes: list[NodeRow], rels: list[RelRow]) -> MappedRecord:
    return MappedRecord(line.source, line.position, key, line.hash(), nodes, rels)


def _site(line: Line, prov: str) -> str:
    site = ods(line.row, "site_ods", site=True, required=True)
    assert site is not None
    return site


@_guard
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
            _clean(
                provider_ods=prov,
                name=text(row, "theatre_name"),
                theatre_type=text(row, "theatre_type"),
            ),
        ),
        NodeRow(
            "TheatreSession",
            session,
            _clean(
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
    return _record(line, session["session_id"], nodes, rels)


@_guard
def map_theatre_booking(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    booking = {"booking_id": f"{prov}:{req(row, 'booking_id')}"}
    session = {"session_id": f"{prov}:{req(row, 'session_id')}"}
    node = NodeRow(
        "TheatreBooking",
        booking,
        _clean(
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
    return _record(line, booking["booking_id"], [node], rels)


@_guard
def map_staff(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    staff = {"staff_id": f"{prov}:{req(row, 'staff_local_id')}"}
    role = {"role_code": req(row, "role_code")}
    nodes = [
        NodeRow(
            "StaffMember",
            staff,
            _clean(
                provider_ods=prov,
                main_specialty_code=text(row, "main_specialty_code"),
                active=boolean(row, "active"),
            ),
        ),
        NodeRow("Role", role, _clean(name=text(row, "role_name"))),
    ]
    rels = [
        RelRow("HAS_ROLE", "StaffMember", staff, "Role", role),
        RelRow("EMPLOYED_BY", "StaffMember", staff, "NHSTrust", trust_key(prov)),
    ]
    return _record(line, staff["staff_id"], nodes, rels)


@_guard
def map_roster(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    prov = provider(line, ctx)
    shift = {"shift_id": f"{prov}:{req(row, 'shift_id')}"}
    staff = {"staff_id": f"{prov}:{req(row, 'staff_local_id')}"}
    node = NodeRow(
        "Shift",
        shift,
        _clean(
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
    return _record(line, shift["shift_id"], nodes, rels)


@_guard
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
            _clean(provider_ods=prov, ward_code=ward_code, name=text(row, "ward_name")),
        ),
        NodeRow(
            "Bed", bed, _clean(provider_ods=prov, bed_type=text(row, "bed_type"), status=status)
        ),
    ]
    rels = [
        part_of,
        RelRow("AT_SITE", "Ward", ward, "Site", {"ods_code": site}),
        RelRow("IN_WARD", "Bed", bed, "Ward", ward),
    ]
    return _record(line, bed["bed_id"], nodes, rels)


def _amount(line: Line, name: str) -> float | None:
    value = text(line.row, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise FieldProblem(name, "not a number") from None


@_guard
def map_contract(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    buyer = ods(row, "buyer_ods", required=True)
    assert buyer is not None
    contract = {"ocid": req(row, "ocid")}
    supplier = {"supplier_id": req(row, "supplier_id")}
    nodes = [
        NodeRow(
            "Contract",
            contract,
            _clean(
                title=text(row, "title"),
                value_amount=_amount(line, "value_amount"),
                currency=text(row, "currency"),
                start_date=iso_date(row, "start_date"),
                end_date=iso_date(row, "end_date"),
            ),
        ),
        NodeRow(
            "Supplier",
            supplier,
            _clean(
                name=text(row, "supplier_name"),
                companies_house_number=text(row, "companies_house_number"),
            ),
        ),
    ]
    rels = [
        RelRow("BUYER_OF", "NHSTrust", trust_key(buyer), "Contract", contract),
        RelRow("AWARDED_TO", "Contract", contract, "Supplier", supplier),
    ]
    product_id = text(row, "product_id")
    if product_id:
        product = {"product_id": product_id}
        nodes.append(NodeRow("Product", product, _clean(name=text(row, "product_name"))))
        rels += [
            RelRow("FOR_PRODUCT", "Contract", contract, "Product", product),
            RelRow("SUPPLIES", "Supplier", supplier, "Product", product),
        ]
    return _record(line, f"{buyer}:{contract['ocid']}", nodes, rels)


def _list(line: Line, name: str) -> list[str]:
    return [p.strip() for p in (text(line.row, name) or "").split(";") if p.strip()]


@_guard
def map_dpa(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    dpa = {"dpa_id": req(row, "dpa_id")}
    controller = ods(row, "controller_ods", required=True)
    assert controller is not None
    processor = req(row, "processor_supplier_id")
    node = NodeRow(
        "DataProcessingAgreement",
        dpa,
        _clean(
            purposes=_list(line, "purposes"),
            data_categories=_list(line, "data_categories"),
            effective_from=iso_date(row, "effective_from"),
            effective_to=iso_date(row, "effective_to"),
        ),
    )
    rels = [
        RelRow("CONTROLLER", "DataProcessingAgreement", dpa, "NHSTrust", trust_key(controller)),
        RelRow("PROCESSOR", "DataProcessingAgreement", dpa, "Supplier", {"supplier_id": processor}),
    ]
    rels += [
        RelRow("SUB_PROCESSOR", "DataProcessingAgreement", dpa, "Supplier", {"supplier_id": sub})
        for sub in _list(line, "sub_processor_supplier_ids")
    ]
    product = text(row, "product_id")
    if product:
        rels.append(
            RelRow("COVERS", "DataProcessingAgreement", dpa, "Product", {"product_id": product})
        )
    ocid = text(row, "contract_ocid")
    if ocid:
        rels.append(RelRow("UNDER", "DataProcessingAgreement", dpa, "Contract", {"ocid": ocid}))
    return _record(line, dpa["dpa_id"], [node], rels)
