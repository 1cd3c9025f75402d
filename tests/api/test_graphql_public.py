"""Public views, no token: supplier transparency and the organisation hierarchy."""

from __future__ import annotations

import pytest

from neo4j import Driver
from tests.api.graphql_support import gql, seed

pytestmark = pytest.mark.api


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


SUPPLIERS = """
query($filter: SupplierFilter) { suppliers(filter: $filter) {
  totalCount nodes { supplierId name } } }
"""


def test_suppliers_listed_and_filtered_without_a_token(seeded, client):
    body = gql(client, SUPPLIERS)
    assert body.get("errors") is None, body
    assert [s["name"] for s in body["data"]["suppliers"]["nodes"]] == [
        "Cloud Hosting plc",
        "Example Analytics Ltd",
    ]
    by_name = gql(client, SUPPLIERS, {"filter": {"nameContains": "cloud"}})
    assert [s["supplierId"] for s in by_name["data"]["suppliers"]["nodes"]] == ["SUP-2"]
    for_trust = gql(client, SUPPLIERS, {"filter": {"processesFor": "RR8"}})
    assert for_trust["data"]["suppliers"]["totalCount"] == 2
    assert (
        gql(client, SUPPLIERS, {"filter": {"processesFor": "RHQ"}})["data"]["suppliers"][
            "totalCount"
        ]
        == 0
    )


def test_supplier_contracts_agreements_and_products(seeded, client):
    q = """query { supplier(id: "SUP-1") {
      name companiesHouseNumber
      products { name }
      contracts { ocid valueAmount currency startDate endDate buyers { odsCode }
                  products { productId } }
      agreements { role agreement { dpaId purposes controllers { odsCode name }
                   processors { supplierId } subProcessors { supplierId name }
                   contract { ocid } products { name } } } } }"""
    s = gql(client, q)["data"]["supplier"]
    assert s["products"] == [{"name": "Pathway Platform"}]
    assert s["contracts"] == [
        {
            "ocid": "ocds-test-0001",
            "valueAmount": 1250000.0,
            "currency": "GBP",
            "startDate": "2025-04-01",
            "endDate": "2028-03-31",
            "buyers": [{"odsCode": "RR8"}],
            "products": [{"productId": "PROD-1"}],
        }
    ]
    (agreement,) = s["agreements"]
    assert agreement["role"] == "PROCESSOR"
    dpa = agreement["agreement"]
    assert dpa["controllers"] == [{"odsCode": "RR8", "name": "Trust RR8"}]
    assert dpa["subProcessors"] == [{"supplierId": "SUP-2", "name": "Cloud Hosting plc"}]
    assert dpa["contract"] == {"ocid": "ocds-test-0001"}
    assert dpa["purposes"] == ["direct_care", "planning"]
    assert gql(client, 'query { supplier(id: "nope") { name } }')["data"]["supplier"] is None


def test_who_processes_a_trusts_data(seeded, client):
    q = """query($ods: String!) { whoProcesses(odsCode: $ods) {
      organisation { odsCode name }
      suppliers { supplierId }
      agreements { totalCount nodes { dpaId processors { name } } } } }"""
    w = gql(client, q, {"ods": "RR8"})["data"]["whoProcesses"]
    assert w["organisation"] == {"odsCode": "RR8", "name": "Trust RR8"}
    assert [s["supplierId"] for s in w["suppliers"]] == ["SUP-2", "SUP-1"]
    assert w["agreements"]["nodes"] == [
        {"dpaId": "DPA-1", "processors": [{"name": "Example Analytics Ltd"}]}
    ]
    none = gql(client, q, {"ods": "RAE"})["data"]["whoProcesses"]
    assert none["agreements"]["totalCount"] == 0
    assert gql(client, q, {"ods": "XXX"})["data"]["whoProcesses"] is None


ORG = """
query($ods: String!) { organisation(odsCode: $ods) {
  odsCode name kinds
  trust { odsCode } icb { odsCode name } subIcbLocation { odsCode } pcn { odsCode }
  sites { odsCode name } trusts { odsCode } subIcbLocations { odsCode } pcns { odsCode }
  gpPractices(first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { odsCode } }
} }
"""


def test_organisation_hierarchy(seeded, client):
    trust = gql(client, ORG, {"ods": "RR8"})["data"]["organisation"]
    assert trust["kinds"] == ["NHSTrust"]
    assert trust["icb"] == {"odsCode": "QWO", "name": "NHS West Yorkshire ICB"}
    assert [s["odsCode"] for s in trust["sites"]] == ["RR801", "RR802"]
    site = gql(client, ORG, {"ods": "RR801"})["data"]["organisation"]
    assert site["trust"] == {"odsCode": "RR8"} and site["icb"]["odsCode"] == "QWO"
    icb = gql(client, ORG, {"ods": "QWO"})["data"]["organisation"]
    assert [t["odsCode"] for t in icb["trusts"]] == ["RAE", "RR8"]
    assert icb["subIcbLocations"] == [{"odsCode": "15F"}]
    assert icb["pcns"] == [{"odsCode": "U00001"}]
    assert icb["gpPractices"]["totalCount"] == 2
    assert icb["gpPractices"]["nodes"] == [{"odsCode": "B86001"}]
    assert icb["gpPractices"]["pageInfo"]["hasNextPage"]
    gp = gql(client, ORG, {"ods": "B86002"})["data"]["organisation"]
    assert gp["pcn"] == {"odsCode": "U00001"}
    assert gp["subIcbLocation"] == {"odsCode": "15F"}
    assert gp["icb"]["odsCode"] == "QWO"
    assert gql(client, ORG, {"ods": "ZZZ"})["data"]["organisation"] is None
