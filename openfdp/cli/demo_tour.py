"""The questions of docs/tour.md, asked through the public API (scripts/tour.py prints them;
the federated demo's test compares the ICS instance's answers with the central graph's).

`post(path, body, headers)` sends one request to an API and returns its JSON answer, so the
same questions run over HTTP or against an in-process app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

Post = Callable[[str, dict[str, Any], dict[str, str]], Any]

Q1 = """
query($icb: String!) {
  waitingList(icb: $icb, groupBy: PROVIDER) {
    asOf providers disclosurePolicy { name version }
    total { incompletePathways pctWithin18Weeks over52Weeks over65Weeks over78Weeks }
    rows { nodes { key label incompletePathways pctWithin18Weeks over52Weeks } }
  }
}"""
Q1B = Q1.replace("groupBy: PROVIDER", "groupBy: TFC").replace(
    "rows { nodes", "rows(first: 5) { nodes"
)
Q2A = """
query { pathways(first: 100, orderBy: WEEKS_WAITING_DESC) {
  nodes { id providerOds pathwaysAtOtherTrusts { id providerOds } } } }"""
Q2 = """
query($id: ID!) {
  pathway(id: $id) {
    id providerOds treatmentFunctionCode weeksWaiting
    person { pseudoId yearOfBirth sexCode areaCode }
    clockPeriods { startDate endDate status stopStatusCode weeksWaited breachDate18w breachDate52w }
    statusEvents { activityDate statusCode statusDisplay clockEffect }
    pathwaysAtOtherTrusts { id providerOds treatmentFunctionCode pathwayStatus }
  }
}"""
Q3 = """
query($icb: String!, $from: Date!, $to: Date!) {
  unbookedCapacity(icb: $icb, from: $from, to: $to, first: 8) {
    totalCount
    nodes { siteOds treatmentFunctionCode sessions emptySessions
            plannedMinutes bookedMinutes unbookedMinutes }
  }
}"""
Q4 = """
query($ods: String!) {
  whoProcesses(odsCode: $ods) {
    organisation { odsCode name }
    suppliers { supplierId name }
    agreements { nodes { dpaId purposes processors { name } subProcessors { name }
                         products { name } } }
  }
}"""
# question 5 (tests/api/test_cypher.py checks it still passes the analyst output control)
ANALYST_QUERY = (
    "MATCH (p:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod {status: 'open'}) "
    "WHERE p.provider_ods IN $allowed_providers "
    "RETURN p.treatment_function_code AS tfc, count(*) AS open_periods "
    "ORDER BY open_periods DESC, tfc LIMIT 5"
)


def gql(post: Post, token: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The data of one GraphQL answer; the errors too when there are any."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    reply = post("/graphql", {"query": query, "variables": variables or {}}, headers)
    return reply.get("data") if not reply.get("errors") else reply


def linked_pathway(post: Post, planner: str) -> str | None:
    """The first pathway (longest waits first) whose person has pathways at another trust."""
    found = gql(post, planner, Q2A)
    nodes = (found or {}).get("pathways", {}).get("nodes", [])
    return next((p["id"] for p in nodes if p["pathwaysAtOtherTrusts"]), None)


def tour_answers(
    post: Post, *, planner: str, analyst: str, icb: str, trust: str, start: date
) -> dict[str, Any]:
    """Questions 1-5 of docs/tour.md and their answers (question 6, the audit log, is each
    instance's own). Question 2's person keeps everything but the pseudo id, which is
    the answering instance's own."""
    answers: dict[str, Any] = {
        "1 waiting list by provider": gql(post, planner, Q1, {"icb": icb}),
        "1b waiting list by specialty": gql(post, planner, Q1B, {"icb": icb}),
    }
    pathway = linked_pathway(post, planner)
    answers["2 linked pathway"] = None
    if pathway is not None:
        got = gql(post, planner, Q2, {"id": pathway})
        person = (got.get("pathway") or {}).get("person") or {}
        person.pop("pseudoId", None)
        answers["2 linked pathway"] = got
    window = {"icb": icb, "from": str(start), "to": str(start + timedelta(days=13))}
    answers["3 unbooked theatre capacity"] = gql(post, planner, Q3, window)
    answers["4 who processes a trust's data"] = gql(post, None, Q4, {"ods": trust})
    headers = {"Authorization": f"Bearer {analyst}"}
    answers["5 analyst Cypher"] = post("/cypher", {"query": ANALYST_QUERY, "params": {}}, headers)
    return answers
