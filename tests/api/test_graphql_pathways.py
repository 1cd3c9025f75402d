"""Pathways and persons through the GraphQL endpoint, on a real Neo4j, with real tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from neo4j import Driver
from tests.api.graphql_support import AS_OF, error_codes, gql, pseudo, seed

pytestmark = pytest.mark.api

DEEP = """
query($id: ID!, $asOf: Date) {
  pathway(id: $id, asOf: $asOf) {
    id ppid ppidIssuerOds providerOds treatmentFunctionCode treatmentFunctionName
    pathwayStatus weeksWaiting daysWaiting
    provider { odsCode name }
    currentPeriod { startDate endDate status weeksWaited breachDate18w breachDate52w
                    breachDate65w breachDate78w breachDate104w }
    clockPeriods { periodId status }
    statusEvents { statusCode statusDisplay clockEffect activityDate seq }
    appointments { appointmentId appointmentDate site { odsCode name } }
    procedures { code codeSystem display }
    diagnoses { code isPrimary }
    person { pseudoId yearOfBirth areaCode }
    pathwaysAtOtherTrusts { id providerOds treatmentFunctionCode }
  }
}
"""


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


def test_pathway_with_clock_activity_person_and_linked_pathways(seeded, client, auth):
    # an ICS user (planning) reads both trusts of the ICB
    headers = auth(org="QWO", roles=["ics_user"], purpose="planning")
    body = gql(client, DEEP, {"id": "RR8:PW1", "asOf": AS_OF.isoformat()}, headers)
    assert body.get("errors") is None, body
    p = body["data"]["pathway"]
    assert p["id"] == "RR8:PW1"
    assert p["provider"] == {"odsCode": "RR8", "name": "Trust RR8"}
    assert p["treatmentFunctionName"] == "Trauma & Orthopaedics"
    assert p["daysWaiting"] == 396 and p["weeksWaiting"] == 56
    period = p["currentPeriod"]
    assert period["status"] == "open" and period["endDate"] is None
    start = AS_OF - timedelta(days=396)
    assert period["startDate"] == start.isoformat()
    assert period["breachDate18w"] == (start + timedelta(days=126)).isoformat()
    assert period["breachDate52w"] == (start + timedelta(days=364)).isoformat()
    assert [e["statusCode"] for e in p["statusEvents"]] == ["10", "20"]
    assert p["statusEvents"][0]["clockEffect"] == "START"
    assert p["statusEvents"][0]["statusDisplay"] == "First activity"
    assert p["appointments"][0]["site"] == {"odsCode": "RR801", "name": "St James"}
    assert p["procedures"] == [
        {"code": "W401", "codeSystem": "OPCS4", "display": "Total knee replacement"}
    ]
    assert p["diagnoses"] == [{"code": "M17.1", "isPrimary": True}]
    assert p["person"]["pseudoId"] == pseudo("linked-rr8")
    assert p["pathwaysAtOtherTrusts"] == [
        {"id": "RAE:PW9", "providerOds": "RAE", "treatmentFunctionCode": "130"}
    ]


def test_trust_user_never_sees_another_trusts_pathway(seeded, client, auth):
    rae = auth(org="RAE", roles=["trust_user"], purpose="direct_care")
    body = gql(client, DEEP, {"id": "RR8:PW1"}, rae)
    # documented choice: null, as for a pathway that does not exist (no existence leak)
    assert body.get("errors") is None and body["data"]["pathway"] is None
    own = gql(client, DEEP, {"id": "RAE:PW9"}, rae)["data"]["pathway"]
    assert own["id"] == "RAE:PW9"
    # the linked RR8 pathway is outside RAE's access: not listed
    assert own["pathwaysAtOtherTrusts"] == []


def test_opted_out_persons_only_for_direct_care(seeded, client, auth):
    q = 'query { pathway(id: "RR8:OPT1") { id } }'
    direct = gql(client, q, headers=auth(org="RR8", purpose="direct_care"))
    assert direct["data"]["pathway"] == {"id": "RR8:OPT1"}
    planning = gql(client, q, headers=auth(org="RR8", purpose="planning"))
    assert planning["data"]["pathway"] is None


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "FORBIDDEN"),  # anonymous: public views only
        ({"org": "QWO", "roles": ["analyst"], "purpose": "planning"}, "FORBIDDEN"),
        ({"org": "RR8", "roles": ["supplier_viewer"], "purpose": "planning"}, "FORBIDDEN"),
    ],
)
def test_record_level_refused_without_record_access(seeded, client, auth, token, code):
    headers = auth(**token) if token else {}
    body = gql(client, "query { pathways { totalCount } }", headers=headers)
    assert body["data"] is None
    assert error_codes(body) == [code]


PAGE = """
query($filter: PathwayFilter, $order: PathwayOrder!, $first: Int, $after: String) {
  pathways(filter: $filter, orderBy: $order, first: $first, after: $after, asOf: "2026-06-01") {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id weeksWaiting pathwayStatus } }
  }
}
"""


def test_pathways_filter_order_and_paginate(seeded, client, auth):
    headers = auth(org="QWO", roles=["ics_user"], purpose="planning")
    # TFC 130 at RAE: 8 open pathways, longest first
    variables = {
        "filter": {"treatmentFunctionCode": "130", "status": "OPEN"},
        "order": "WEEKS_WAITING_DESC",
        "first": 3,
    }
    first = gql(client, PAGE, variables, headers)["data"]["pathways"]
    assert first["totalCount"] == 8
    weeks = [e["node"]["weeksWaiting"] for e in first["edges"]]
    assert weeks == sorted(weeks, reverse=True) and weeks[0] == (300 + 40 * 6) // 7
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    seen = [e["node"]["id"] for e in first["edges"]]
    after = first["pageInfo"]["endCursor"]
    while after:
        page = gql(client, PAGE, {**variables, "after": after}, headers)["data"]["pathways"]
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert len(seen) == len(set(seen)) == 8

    # weeks-waiting range and provider; the opted-out RR8 pathway is excluded (planning)
    ranged = gql(
        client,
        PAGE,
        {
            "filter": {"provider": "RR8", "minWeeksWaiting": 52, "maxWeeksWaiting": 100},
            "order": "START_DATE_ASC",
        },
        headers,
    )["data"]["pathways"]
    assert [e["node"]["id"] for e in ranged["edges"]] == ["RR8:PW2", "RR8:PW1"]

    closed = gql(
        client, PAGE, {"filter": {"status": "CLOSED"}, "order": "START_DATE_ASC"}, headers
    )["data"]["pathways"]
    assert [e["node"]["id"] for e in closed["edges"]] == ["RR8:CLOSED1"]


def test_page_size_is_capped_with_a_clear_error(seeded, client, auth, api_settings):
    cap = api_settings.api.max_page_size
    headers = auth(org="RR8")
    body = gql(client, PAGE, {"order": "START_DATE_ASC", "first": cap + 1}, headers)
    assert error_codes(body) == ["BAD_REQUEST"]
    assert f"between 1 and {cap}" in body["errors"][0]["message"]
    bad_cursor = gql(client, PAGE, {"order": "START_DATE_ASC", "after": "nope"}, headers)
    assert error_codes(bad_cursor) == ["BAD_REQUEST"]


PERSON = """
query($id: String!) {
  person(pseudoId: $id) {
    pseudoId yearOfBirth
    pathways { id providerOds }
    timeline(first: 50) {
      totalCount edges { node { date kind code display pathwayId providerOds } }
    }
  }
}
"""


def test_person_timeline_across_linked_trusts(seeded, client, auth):
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    body = gql(client, PERSON, {"id": pseudo("linked-rr8")}, ics)
    assert body.get("errors") is None, body
    person = body["data"]["person"]
    assert [p["id"] for p in person["pathways"]] == ["RR8:PW1", "RAE:PW9"]
    events = [e["node"] for e in person["timeline"]["edges"]]
    dates = [e["date"] for e in events]
    assert dates == sorted(dates)
    kinds = {e["kind"] for e in events}
    assert kinds == {"RTT_STATUS", "APPOINTMENT", "ENCOUNTER", "PROCEDURE", "DIAGNOSIS"}
    spell = [e for e in events if e["kind"] == "ENCOUNTER"]
    assert spell == [
        {
            "date": "2026-02-10",
            "kind": "ENCOUNTER",
            "code": "inpatient",
            "display": None,
            "pathwayId": None,
            "providerOds": "RR8",
        }
    ]
    # a procedure reached through its spell, and one through the pathway (once each)
    procedures = [(e["code"], e["pathwayId"]) for e in events if e["kind"] == "PROCEDURE"]
    assert sorted(procedures) == [("W371", None), ("W401", "RR8:PW1")]
    assert {e["providerOds"] for e in events} == {"RR8", "RAE"}
    # a trust user sees only its own trust's part of the timeline
    rr8 = gql(client, PERSON, {"id": pseudo("linked-rr8")}, auth(org="RR8"))["data"]["person"]
    assert {e["node"]["providerOds"] for e in rr8["timeline"]["edges"]} == {"RR8"}
    # a person with no record at the caller's trusts does not exist for the caller
    other = gql(client, PERSON, {"id": pseudo("p-rhq")}, auth(org="RR8"))
    assert other["data"]["person"] is None


def test_invalid_documents_are_refused_every_time(seeded, client, auth):
    # validation results are cached per document: a cached refusal must still refuse
    for _ in range(2):
        body = gql(client, 'query { pathway(id: "RR8:PW1") { noSuchField } }', headers=auth())
        assert body["data"] is None
        assert "noSuchField" in body["errors"][0]["message"]


def test_costly_operations_are_refused_before_any_query(seeded, client, auth, api_settings):
    """A shallow document can still ask for too much: several full pages of pathways with
    every field cost more than the complexity limit, and nothing runs; one page is fine."""
    fields = DEEP.split("{", 2)[2].rsplit("}", 2)[0]  # the selection of the deep query
    one_page = "pathways(first: $first) { nodes { " + fields + " } }"
    ok = gql(client, "query($first: Int) { " + one_page + " }", {"first": 100}, headers=auth())
    assert "errors" not in ok, ok.get("errors")
    pages = " ".join(f"p{i}: {one_page}" for i in range(5))
    body = gql(client, "query Costly($first: Int) { " + pages + " }", {"first": 1}, auth())
    assert body["data"] is None
    message = body["errors"][0]["message"]
    assert "operation 'Costly' costs" in message
    assert f"maximum of {api_settings.api.max_complexity}" in message
