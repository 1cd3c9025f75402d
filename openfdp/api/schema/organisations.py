"""Organisations (public ODS data): ``organisation(odsCode)`` with its place in the
hierarchy — a site's trust, a trust's sites and ICB, an ICB's trusts, sub-ICB locations,
PCNs and GP practices."""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry

from openfdp.api.schema.common import (
    After,
    Connection,
    First,
    Info,
    backed_by,
    build,
    fetch,
    page_of,
    slice_connection,
)
from openfdp.api.schema.node import Node
from openfdp.store.queries import organisations as q


@backed_by("Organisation", derived=("kinds",))
@strawberry.type(description="An organisation in the ODS hierarchy (trust, site, ICB, ...).")
class OrganisationRef:
    ods_code: str | None
    name: str | None
    kinds: list[str] = strawberry.field(
        description="Ontology classes of the organisation, e.g. NHSTrust, Site, ICB."
    )


def org_ref(row: dict[str, Any] | None) -> OrganisationRef | None:
    if row is None:
        return None
    return OrganisationRef(
        ods_code=row.get("ods_code"), name=row.get("name"), kinds=list(row.get("kinds") or [])
    )


def org_refs(rows: list[dict[str, Any]] | None) -> list[OrganisationRef]:
    return [r for r in (org_ref(x) for x in rows or []) if r is not None]


@backed_by(
    "Organisation",
    derived=(
        "id",
        "kinds",
        "trust",
        "icb",
        "sub_icb_location",
        "pcn",
        "sites",
        "trusts",
        "sub_icb_locations",
        "pcns",
        "gp_practices",
    ),
)
@strawberry.type(description="An organisation with the organisations above and below it.")
class Organisation(Node):
    node_key: ClassVar[str] = "ods_code"
    ods_code: str | None
    name: str | None
    kinds: list[str]
    trust: OrganisationRef | None = strawberry.field(description="A site's trust.")
    icb: OrganisationRef | None = strawberry.field(
        description="The ICB whose geography the organisation is in."
    )
    sub_icb_location: OrganisationRef | None = strawberry.field(
        description="A PCN's or GP practice's sub-ICB location."
    )
    pcn: OrganisationRef | None = strawberry.field(description="A GP practice's PCN.")
    sites: list[OrganisationRef] = strawberry.field(description="A trust's sites.")
    trusts: list[OrganisationRef] = strawberry.field(description="An ICB's trusts.")
    sub_icb_locations: list[OrganisationRef] = strawberry.field(
        description="An ICB's sub-ICB locations."
    )
    pcns: list[OrganisationRef] = strawberry.field(description="PCNs below this organisation.")
    gp_practice_rows: strawberry.Private[list[OrganisationRef]]

    @strawberry.field
    def gp_practices(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[OrganisationRef]:
        return slice_connection(
            self.gp_practice_rows,
            page_of(info.context, first, after),
            kind="gpPractices",
            key=lambda o: (o.ods_code,),
        )


async def resolve_organisation(info: Info, *, ods_code: str) -> Organisation | None:
    rows = await fetch(info, q.ORGANISATION, ods_code=ods_code)
    if not rows or rows[0]["organisation"] is None:
        return None
    row = rows[0]["organisation"]
    info.context.audit.record(rows=1)
    return build(
        Organisation,
        row,
        kinds=list(row.get("kinds") or []),
        trust=org_ref(row.get("trust")),
        icb=org_ref(row.get("icb")),
        sub_icb_location=org_ref(row.get("sub_icb_location")),
        pcn=org_ref(row.get("pcn")),
        sites=org_refs(row.get("sites")),
        trusts=org_refs(row.get("trusts")),
        sub_icb_locations=org_refs(row.get("sub_icb_locations")),
        pcns=org_refs(row.get("pcns")),
        gp_practice_rows=org_refs(row.get("gp_practices")),
    )
