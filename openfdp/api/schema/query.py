"""The root ``Query`` type: one field per question the API answers.

Each root field runs exactly one Cypher query (nested data is projected in that query), so
the number of database round trips of a request equals the number of root fields in it.
"""

from __future__ import annotations

import strawberry

from openfdp.api.schema import ics
from openfdp.api.schema import organisations as orgs
from openfdp.api.schema import pathways as pw
from openfdp.api.schema import resources as res
from openfdp.api.schema import sharing as sh
from openfdp.api.schema import suppliers as sup
from openfdp.api.schema.common import Connection, Info
from openfdp.api.schema.node import Node, parse_global_id


async def resolve_node(info: Info, *, id: strawberry.ID) -> Node | None:
    """The object with this global id, through its type's own root field (same access
    rules: null when it does not exist or is outside the caller's access)."""
    kind, key = parse_global_id(str(id))
    if kind == "Organisation":
        return await orgs.resolve_organisation(info, ods_code=key)
    if kind == "Supplier":
        return await sup.resolve_supplier(info, id=strawberry.ID(key))
    if kind == "Person":
        return await pw.resolve_person(info, pseudo_id=key)
    return await pw.resolve_pathway(info, id=strawberry.ID(key))


@strawberry.type
class Query:
    node: Node | None = strawberry.field(
        resolver=resolve_node,
        description="Any object by its global id (Organisation:<ods>, Supplier:<id>, "
        "Person:<pseudoId>, or a pathway's id). Null when it does not exist or is outside "
        "the caller's access.",
    )

    # --- pathways (record-level) ---------------------------------------------------------
    pathway: pw.Pathway | None = strawberry.field(
        resolver=pw.resolve_pathway,
        description="One pathway by id '<ppid_issuer_ods>:<ppid>'. Null when it does not "
        "exist or belongs to a trust outside the caller's access.",
    )
    pathways: Connection[pw.Pathway] = strawberry.field(
        resolver=pw.resolve_pathways,
        description="Pathways of the trusts the caller may read, filtered and ordered.",
    )
    person: pw.Person | None = strawberry.field(
        resolver=pw.resolve_person,
        description="A pseudonymised person with pathways and a timeline across linked "
        "records. Null when unknown or outside the caller's access.",
    )

    # --- ICS views -------------------------------------------------------------------------
    waiting_list: ics.WaitingList = strawberry.field(
        resolver=ics.resolve_waiting_list,
        description="Incomplete RTT pathways of an ICB or a provider, grouped, through "
        "disclosure control.",
    )
    long_waiters: Connection[pw.Pathway] = strawberry.field(
        resolver=ics.resolve_long_waiters,
        description="Open pathways waiting at least minWeeks, longest first.",
    )
    validation_candidates: Connection[pw.Pathway] = strawberry.field(
        resolver=ics.resolve_validation_candidates,
        description="Open pathways with no status event or appointment for N weeks.",
    )

    # --- resources -------------------------------------------------------------------------
    theatre_sessions: res.TheatreSessions = strawberry.field(
        resolver=res.resolve_theatre_sessions,
        description="Theatre sessions of a site with planned, booked, unbooked minutes.",
    )
    unbooked_capacity: Connection[res.CapacityRow] = strawberry.field(
        resolver=res.resolve_unbooked_capacity,
        description="Unbooked theatre minutes by site and specialty across an ICB.",
    )
    staff_availability: Connection[res.StaffAvailability] = strawberry.field(
        resolver=res.resolve_staff_availability,
        description="Staff on shift at a site on a date, by role and shift type.",
    )
    bed_occupancy: Connection[res.WardOccupancy] = strawberry.field(
        resolver=res.resolve_bed_occupancy, description="Bed occupancy of a site's wards."
    )

    # --- suppliers (public) ----------------------------------------------------------------
    supplier: sup.Supplier | None = strawberry.field(
        resolver=sup.resolve_supplier,
        description="A supplier with its contracts, products and processing agreements.",
    )
    suppliers: Connection[sup.Supplier] = strawberry.field(
        resolver=sup.resolve_suppliers, description="Suppliers, by name."
    )
    who_processes: sup.ProcessingOfOrganisation | None = strawberry.field(
        resolver=sup.resolve_who_processes,
        description="Who processes an organisation's data, under which agreements.",
    )
    sharing_agreements: list[sh.DataSharingAgreement] = strawberry.field(
        resolver=sh.resolve_sharing_agreements,
        description="Data sharing agreements between openfdp instances (trust to ICS), of "
        "one organisation as sender or receiver when odsCode is given.",
    )

    # --- organisations (public) ------------------------------------------------------------
    organisation: orgs.Organisation | None = strawberry.field(
        resolver=orgs.resolve_organisation,
        description="An organisation and its place in the NHS hierarchy.",
    )
