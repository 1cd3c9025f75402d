"""Keyset cursors and global ids, on the real server (TestClient, real Neo4j).

A cursor is the encoded sort key of its row, not an offset: paging in every order visits
each row once, and a row inserted before the cursor between two page requests does not
shift the next page (with an offset cursor the last row of page one would come again).
``node(id:)`` returns any object by its global id, under the same access rules as the
type's own root field.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.schema.paging import decode_cursor, encode_cursor
from tests.api.conftest import AuthFactory
from tests.api.graphql_support import error_codes, gql, pseudo, seed

pytestmark = pytest.mark.api

ICS = {"org": "QWO", "roles": ["ics_user"], "purpose": "planning"}
ORDERS = ("START_DATE_ASC", "START_DATE_DESC", "WEEKS_WAITING_ASC", "WEEKS_WAITING_DESC")
PAGE = """
query($order: PathwayOrder!, $first: Int, $after: String) {
  pathways(orderBy: $order, first: $first, after: $after, asOf: "2026-06-01") {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id } } } }
"""
SUPPLIERS = """
query($first: Int, $after: String) { suppliers(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { supplierId name } } }
"""
NEW_PATHWAY = """
MATCH (t:NHSTrust {ods_code: 'RR8'})
CREATE (p:RTTPathway {ppid_issuer_ods: 'RR8', ppid: 'NEW1', provider_ods: 'RR8',
  treatment_function_code: '100', pathway_status: 'open', priority_type_code: '1',
  referral_request_received_date: $start})-[:ISSUED_BY]->(t)
"""


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


def _ids(page: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in page["edges"]]


def _all_pages(client: TestClient, headers: dict[str, str], order: str, size: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        variables = {"order": order, "first": size, "after": after}
        page = gql(client, PAGE, variables, headers)["data"]["pathways"]
        seen += _ids(page)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("order", ORDERS)
def test_paging_visits_every_pathway_once_in_order(
    seeded: Driver, client: TestClient, auth: AuthFactory, order: str
) -> None:
    headers = auth(**ICS)
    whole = gql(client, PAGE, {"order": order, "first": 100}, headers)["data"]["pathways"]
    assert whole["totalCount"] == len(whole["edges"]) > 20
    for size in (1, 3, 7):
        assert _all_pages(client, headers, order, size) == _ids(whole)


def test_a_cursor_is_the_sort_key_not_an_offset(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    page = gql(client, PAGE, {"order": "START_DATE_ASC", "first": 2}, auth(**ICS))
    edge = page["data"]["pathways"]["edges"][1]
    kind, key = decode_cursor(edge["cursor"])
    assert kind == "pathways:START_DATE_ASC"
    issuer, ppid = edge["node"]["id"].split(":")
    assert key[1:] == (issuer, ppid) and isinstance(key[0], date)


def test_rows_inserted_before_the_cursor_do_not_shift_the_next_page(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    headers = auth(org="RR8")
    before = _all_pages(client, headers, "START_DATE_ASC", 100)
    first = gql(client, PAGE, {"order": "START_DATE_ASC", "first": 5}, headers)["data"]
    # a pathway whose clock started before every other one: it sorts first
    seeded.execute_query(NEW_PATHWAY, start=date(2020, 1, 1))
    after = first["pathways"]["pageInfo"]["endCursor"]
    second = gql(client, PAGE, {"order": "START_DATE_ASC", "first": 5, "after": after}, headers)
    assert _ids(second["data"]["pathways"]) == before[5:10]
    assert second["data"]["pathways"]["totalCount"] == len(before) + 1
    assert _all_pages(client, headers, "START_DATE_ASC", 100)[0] == "RR8:NEW1"


def test_suppliers_page_by_key_and_survive_an_insert(seeded: Driver, client: TestClient) -> None:
    first = gql(client, SUPPLIERS, {"first": 1})["data"]["suppliers"]
    assert [s["supplierId"] for s in first["nodes"]] == ["SUP-2"]  # "Cloud ..." < "Example ..."
    seeded.execute_query("CREATE (:Supplier:Organisation {supplier_id: 'SUP-0', name: 'Acme'})")
    rest = gql(client, SUPPLIERS, {"first": 5, "after": first["pageInfo"]["endCursor"]})
    assert [s["supplierId"] for s in rest["data"]["suppliers"]["nodes"]] == ["SUP-1"]
    assert rest["data"]["suppliers"]["totalCount"] == 3


def test_listed_rows_page_by_key(seeded: Driver, client: TestClient, auth: AuthFactory) -> None:
    query = """query($id: String!, $first: Int, $after: String) { person(pseudoId: $id) {
      timeline(first: $first, after: $after) { pageInfo { hasNextPage endCursor }
      nodes { recordId kind } } } }"""
    headers, pid = auth(org="RR8"), pseudo("linked-rr8")
    whole = gql(client, query, {"id": pid, "first": 100}, headers)["data"]["person"]["timeline"]
    seen, after = [], None
    while True:
        page = gql(client, query, {"id": pid, "first": 2, "after": after}, headers)
        timeline = page["data"]["person"]["timeline"]
        seen += timeline["nodes"]
        if not timeline["pageInfo"]["hasNextPage"]:
            break
        after = timeline["pageInfo"]["endCursor"]
    assert seen == whole["nodes"] and len(seen) >= 3


@pytest.mark.parametrize(
    "cursor",
    [
        "nope",
        base64.urlsafe_b64encode(b"o:3").decode(),  # an offset cursor of the old kind
        base64.urlsafe_b64encode(json.dumps({"k": "x", "v": [{"z": 1}]}).encode()).decode(),
        encode_cursor("pathways:WEEKS_WAITING_DESC", [-10, "RR8", "PW1"]),  # another order
        encode_cursor("suppliers", ["Acme", "SUP-0"]),  # another field
    ],
)
def test_foreign_or_malformed_cursors_are_refused(
    seeded: Driver, client: TestClient, auth: AuthFactory, cursor: str
) -> None:
    body = gql(client, PAGE, {"order": "START_DATE_ASC", "after": cursor}, auth(**ICS))
    assert error_codes(body) == ["BAD_REQUEST"]


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Organisation { odsCode name } ... on Supplier { supplierId }
  ... on Person { pseudoId } ... on Pathway { providerOds } } }"""


def test_node_returns_each_type_by_its_global_id(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    headers = auth(org="RR8")
    org = gql(client, '{ organisation(odsCode: "RR8") { id } }', None, headers)
    org_id = org["data"]["organisation"]["id"]
    assert org_id == "Organisation:RR8"
    sup_id = gql(client, '{ supplier(id: "SUP-1") { id } }', None, headers)["data"]["supplier"]
    person_id = f"Person:{pseudo('linked-rr8')}"
    expected = {
        org_id: ("Organisation", "odsCode", "RR8"),
        sup_id["id"]: ("Supplier", "supplierId", "SUP-1"),
        person_id: ("Person", "pseudoId", pseudo("linked-rr8")),
        "RR8:PW1": ("Pathway", "providerOds", "RR8"),
    }
    for global_id, (typename, field, value) in expected.items():
        node = gql(client, NODE, {"id": global_id}, headers)["data"]["node"]
        assert node["__typename"] == typename and node["id"] == global_id
        assert node[field] == value
    # the global id of a supplier is accepted by its own root field too
    again = gql(client, "query($id: ID!) { supplier(id: $id) { supplierId } }", sup_id, headers)
    assert again["data"]["supplier"]["supplierId"] == "SUP-1"


def test_node_keeps_the_access_rules(seeded: Driver, client: TestClient, auth: AuthFactory) -> None:
    rr8 = auth(org="RR8")
    assert gql(client, NODE, {"id": "RHQ:PWX"}, rr8)["data"]["node"] is None  # another trust
    assert gql(client, NODE, {"id": "RR8:NOPE"}, rr8)["data"]["node"] is None
    rhq_person = f"Person:{pseudo('p-rhq')}"
    assert gql(client, NODE, {"id": rhq_person}, rr8)["data"]["node"] is None
    anonymous = gql(client, NODE, {"id": "RR8:PW1"})
    assert error_codes(anonymous) == ["FORBIDDEN"]
    assert error_codes(gql(client, NODE, {"id": "no-separator"}, rr8)) == ["BAD_REQUEST"]
