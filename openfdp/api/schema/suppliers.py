"""Supplier transparency (public, no token needed): suppliers with their contracts,
products and data processing agreements, and ``whoProcesses(odsCode)``."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Any, ClassVar

import strawberry

from openfdp.api.schema.common import (
    After,
    Connection,
    First,
    Info,
    backed_by,
    build,
    connection,
    fetch,
    page_of,
    slice_connection,
)
from openfdp.api.schema.node import Node
from openfdp.api.schema.organisations import OrganisationRef, org_ref, org_refs
from openfdp.api.schema.sharing import DataSharingAgreement, to_sharing
from openfdp.store.queries import suppliers as q


@backed_by("Product")
@strawberry.type
class Product:
    product_id: str
    name: str


@backed_by("Supplier")
@strawberry.type(description="A supplier in brief.")
class SupplierRef:
    supplier_id: str
    name: str


@backed_by("Contract", derived=("buyers", "products"))
@strawberry.type
class Contract:
    ocid: str
    title: str | None
    value_amount: float | None
    currency: str | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    buyers: list[OrganisationRef]
    products: list[Product]


@backed_by(
    "DataProcessingAgreement",
    derived=("controllers", "processors", "sub_processors", "products", "contract"),
)
@strawberry.type(description="Who may process whose data, for what, under which contract.")
class DataProcessingAgreement:
    dpa_id: str
    purposes: list[str] | None
    data_categories: list[str] | None
    effective_from: datetime.date | None
    effective_to: datetime.date | None
    controllers: list[OrganisationRef]
    processors: list[SupplierRef]
    sub_processors: list[SupplierRef]
    products: list[Product]
    contract: Contract | None


@strawberry.enum
class ProcessingRole(Enum):
    PROCESSOR = "PROCESSOR"
    SUB_PROCESSOR = "SUB_PROCESSOR"


@strawberry.type
class SupplierAgreement:
    role: ProcessingRole
    agreement: DataProcessingAgreement


@backed_by("Supplier", derived=("id", "contracts", "products", "agreements"))
@strawberry.type
class Supplier(Node):
    node_key: ClassVar[str] = "supplier_id"
    supplier_id: str
    name: str
    companies_house_number: str | None
    ods_code: str | None
    contracts: list[Contract]
    products: list[Product]
    agreements: list[SupplierAgreement]


@strawberry.type(
    description="The data processing agreements an organisation controls, and the data "
    "sharing agreements it is party to."
)
class ProcessingOfOrganisation:
    organisation: OrganisationRef
    agreement_list: strawberry.Private[list[DataProcessingAgreement]]
    sharing_agreements: list[DataSharingAgreement] = strawberry.field(
        description="Data sharing agreements under which the organisation's instance sends "
        "or receives pseudonymised data products."
    )

    @strawberry.field
    def agreements(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[DataProcessingAgreement]:
        return slice_connection(
            self.agreement_list,
            page_of(info.context, first, after),
            kind="agreements",
            key=lambda d: (d.effective_from, d.dpa_id),
        )

    @strawberry.field
    def suppliers(self) -> list[SupplierRef]:
        seen: dict[str, SupplierRef] = {}
        for a in self.agreement_list:
            for s in [*a.processors, *a.sub_processors]:
                seen.setdefault(s.supplier_id, s)
        return sorted(seen.values(), key=lambda s: (s.name, s.supplier_id))


@strawberry.input
class SupplierFilter:
    name_contains: str | None = None
    processes_for: str | None = strawberry.field(
        default=None, description="ODS code of an organisation whose data the supplier processes."
    )


def _products(rows: list[dict[str, Any]] | None) -> list[Product]:
    return [build(Product, p) for p in rows or []]


def _contract(row: dict[str, Any]) -> Contract:
    return build(
        Contract, row, buyers=org_refs(row.get("buyers")), products=_products(row.get("products"))
    )


def to_agreement(row: dict[str, Any]) -> DataProcessingAgreement:
    contract = row.get("contract")
    return build(
        DataProcessingAgreement,
        row,
        controllers=org_refs(row.get("controllers")),
        processors=[build(SupplierRef, s) for s in row.get("processors") or []],
        sub_processors=[build(SupplierRef, s) for s in row.get("sub_processors") or []],
        products=_products(row.get("products")),
        contract=None if contract is None else _contract(contract),
    )


def to_supplier(row: dict[str, Any]) -> Supplier:
    return build(
        Supplier,
        row,
        contracts=[_contract(c) for c in row.get("contracts") or []],
        products=_products(row.get("products")),
        agreements=[
            SupplierAgreement(
                role=ProcessingRole(a["role"]), agreement=to_agreement(a["agreement"])
            )
            for a in row.get("agreements") or []
        ],
    )


async def resolve_supplier(info: Info, *, id: strawberry.ID) -> Supplier | None:
    supplier_id = str(id).removeprefix("Supplier:")  # its own id or its global id
    rows = await fetch(info, q.SUPPLIER_BY_ID, supplier_id=supplier_id)
    if not rows:
        return None
    info.context.audit.record(rows=1)
    return to_supplier(rows[0]["supplier"])


async def resolve_suppliers(
    info: Info, *, filter: SupplierFilter | None = None, first: First = None, after: After = None
) -> Connection[Supplier]:
    f = filter or SupplierFilter()
    page = page_of(info.context, first, after)
    rows = await fetch(
        info,
        q.SUPPLIERS_PAGE,
        name=f.name_contains or None,
        processes_for=f.processes_for,
        after=page.after("suppliers"),
        limit=page.limit,
    )
    row = rows[0]
    items = [to_supplier(s) for s in row["items"]]
    info.context.audit.record(rows=len(items))
    return connection(
        items, row["keys"], kind="suppliers", total=row["total"], page=page,
        has_next=row["has_next"],
    )  # fmt: skip


async def resolve_who_processes(info: Info, *, ods_code: str) -> ProcessingOfOrganisation | None:
    rows = await fetch(info, q.WHO_PROCESSES, ods_code=ods_code)
    if not rows:
        return None
    org = org_ref(rows[0]["organisation"])
    if org is None:
        return None
    agreements = [to_agreement(a) for a in rows[0]["agreements"]]
    info.context.audit.record(rows=len(agreements))
    sharing = [to_sharing(a) for a in rows[0]["sharing"]]
    return ProcessingOfOrganisation(
        organisation=org, agreement_list=agreements, sharing_agreements=sharing
    )
