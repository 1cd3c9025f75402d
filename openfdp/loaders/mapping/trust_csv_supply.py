"""Supplier trust extracts: supplier contracts (buyer trust, supplier, optional product) and
data processing agreements (controller trust, processor and sub-processors, the product and
contract they cover, purposes and data categories). No person-identifying data here.
"""

from __future__ import annotations

from openfdp.loaders.mapping.trust_csv_common import (
    FieldProblem,
    Line,
    iso_date,
    ods,
    req,
    text,
    trust_key,
)
from openfdp.loaders.mapping.trust_csv_records import clean, guard, record
from openfdp.loaders.model import MapContext, MappedRecord, NodeRow, RelRow


def _amount(line: Line, name: str) -> float | None:
    value = text(line.row, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise FieldProblem(name, "not a number") from None


@guard
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
            clean(
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
            clean(
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
        nodes.append(NodeRow("Product", product, clean(name=text(row, "product_name"))))
        rels += [
            RelRow("FOR_PRODUCT", "Contract", contract, "Product", product),
            RelRow("SUPPLIES", "Supplier", supplier, "Product", product),
        ]
    return record(line, f"{buyer}:{contract['ocid']}", nodes, rels)


def _list(line: Line, name: str) -> list[str]:
    return [p.strip() for p in (text(line.row, name) or "").split(";") if p.strip()]


@guard
def map_dpa(line: Line, ctx: MapContext) -> MappedRecord:
    row = line.row
    dpa = {"dpa_id": req(row, "dpa_id")}
    controller = ods(row, "controller_ods", required=True)
    assert controller is not None
    processor = req(row, "processor_supplier_id")
    node = NodeRow(
        "DataProcessingAgreement",
        dpa,
        clean(
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
    return record(line, dpa["dpa_id"], [node], rels)
