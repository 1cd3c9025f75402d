"""Cypher for the public supplier transparency views (no record-level data involved)."""

from __future__ import annotations

from typing import LiteralString

from openfdp.store.queries.sharing import DSA_PROJECTION

_ORG = "{.ods_code, .name, kinds: [l IN labels(o) WHERE l <> 'Organisation']}"

# A data processing agreement bound to `d`.
DPA_PROJECTION: LiteralString = (
    "d {.dpa_id, .purposes, .data_categories, .effective_from, .effective_to, "
    "controllers: COLLECT { MATCH (d)-[:CONTROLLER]->(o:Organisation) "
    "  RETURN o " + _ORG + " ORDER BY o.ods_code }, "
    "processors: COLLECT { MATCH (d)-[:PROCESSOR]->(x:Supplier) "
    "  RETURN x {.supplier_id, .name} ORDER BY x.name }, "
    "sub_processors: COLLECT { MATCH (d)-[:SUB_PROCESSOR]->(x:Supplier) "
    "  RETURN x {.supplier_id, .name} ORDER BY x.name }, "
    "products: COLLECT { MATCH (d)-[:COVERS]->(pr:Product) "
    "  RETURN pr {.product_id, .name} ORDER BY pr.name }, "
    "contract: COLLECT { MATCH (d)-[:UNDER]->(c:Contract) "
    "  RETURN c {.ocid, .title, .value_amount, .currency, .start_date, .end_date} }[0]}"
)

# A supplier bound to `s`, with contracts, products and the agreements it processes under.
SUPPLIER_PROJECTION: LiteralString = (
    "s {.supplier_id, .name, .companies_house_number, .ods_code, "
    "contracts: COLLECT { MATCH (c:Contract)-[:AWARDED_TO]->(s) "
    "  RETURN c {.ocid, .title, .value_amount, .currency, .start_date, .end_date, "
    "  buyers: COLLECT { MATCH (o:Organisation)-[:BUYER_OF]->(c) "
    "    RETURN o " + _ORG + " ORDER BY o.ods_code }, "
    "  products: COLLECT { MATCH (c)-[:FOR_PRODUCT]->(pr:Product) "
    "    RETURN pr {.product_id, .name} ORDER BY pr.name }} "
    "  ORDER BY c.start_date, c.ocid }, "
    "products: COLLECT { MATCH (s)-[:SUPPLIES]->(pr:Product) "
    "  RETURN pr {.product_id, .name} ORDER BY pr.name }, "
    "agreements: COLLECT { MATCH (d:DataProcessingAgreement)-[:PROCESSOR|SUB_PROCESSOR]->(s) "
    "  WITH DISTINCT d ORDER BY d.dpa_id "
    "  RETURN {role: CASE WHEN EXISTS { (d)-[:PROCESSOR]->(s) } THEN 'PROCESSOR' "
    "  ELSE 'SUB_PROCESSOR' END, agreement: " + DPA_PROJECTION + "} }"
    "}"
)

SUPPLIER_BY_ID: LiteralString = (
    "MATCH (s:Supplier {supplier_id: $supplier_id}) RETURN " + SUPPLIER_PROJECTION + " AS supplier"
)

# Filters: $name (case-insensitive substring), $processes_for (ODS code of a controller).
# Page: the $limit suppliers whose key [name, supplier_id] comes after $after (keyset).
SUPPLIERS_PAGE: LiteralString = (
    "MATCH (s:Supplier) "
    "WHERE ($name IS NULL OR toLower(s.name) CONTAINS toLower($name)) "
    "AND ($processes_for IS NULL OR EXISTS { "
    "  MATCH (s)<-[:PROCESSOR|SUB_PROCESSOR]-(:DataProcessingAgreement)-[:CONTROLLER]->"
    "  (:Organisation {ods_code: $processes_for}) }) "
    "WITH s, [coalesce(s.name, ''), s.supplier_id] AS k ORDER BY k "
    "WITH collect({s: s, k: k}) AS rows "
    "WITH rows, [row IN rows WHERE $after IS NULL OR row.k > $after] AS rest "
    "CALL (rest) { UNWIND rest[0..$limit] AS row WITH row.s AS s, row.k AS k "
    "  RETURN collect(" + SUPPLIER_PROJECTION + ") AS items, collect(k) AS keys } "
    "RETURN size(rows) AS total, items, keys, size(rest) > $limit AS has_next"
)

# Who processes an organisation's data: the agreements it controls.
WHO_PROCESSES: LiteralString = (
    "MATCH (org:Organisation {ods_code: $ods_code}) "
    "WITH org LIMIT 1 "
    "CALL (org) { MATCH (d:DataProcessingAgreement)-[:CONTROLLER]->(org) "
    "  WITH d ORDER BY d.effective_from, d.dpa_id "
    "  RETURN collect(" + DPA_PROJECTION + ") AS agreements } "
    "CALL (org) { MATCH (a:DataSharingAgreement) "
    "  WHERE a.sender_ods = org.ods_code OR a.receiver_ods = org.ods_code "
    "  WITH a ORDER BY a.effective_from, a.agreement_id "
    "  RETURN collect(" + DSA_PROJECTION + ") AS sharing } "
    "RETURN org {.ods_code, .name, kinds: [l IN labels(org) WHERE l <> 'Organisation']} "
    "AS organisation, agreements, sharing"
)
