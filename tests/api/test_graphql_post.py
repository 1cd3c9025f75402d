"""The direct path for JSON POSTs to /graphql answers exactly like the strawberry router.

Every case is sent twice to the same app: once as the common request (answered by
``GraphQLPost``) and once with an extra top-level key, which the direct path declines so the
router answers. Status, headers that matter and JSON bodies must be equal, and each request
must leave one audit event.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api import graphql_post
from openfdp.store.audit_log import AuditLog
from tests.api.graphql_support import AS_OF, seed

pytestmark = pytest.mark.api

PATHWAY = """
query($id: ID!, $asOf: Date) { pathway(id: $id, asOf: $asOf) {
  id providerOds weeksWaiting currentPeriod { status breachDate18w }
  statusEvents { statusCode activityDate } person { pseudoId yearOfBirth }
  pathwaysAtOtherTrusts { id } } }
"""
WAITING = """
query($icb: String!, $asOf: Date) { waitingList(icb: $icb, groupBy: TFC, asOf: $asOf) {
  total { incompletePathways pctWithin18Weeks } rows { nodes { key incompletePathways } }
  disclosurePolicy { name version } } }
"""
TOO_DEEP = '{ organisation(odsCode: "RR8") { ' + "sites { " * 40 + "odsCode" + " }" * 41

CASES: dict[str, tuple[str, dict[str, Any] | None, dict[str, Any]]] = {
    "pathway, trust user": (PATHWAY, {"id": "RR8:PW1", "asOf": AS_OF.isoformat()}, {}),
    "pathway of another trust": (PATHWAY, {"id": "RHQ:PWX"}, {}),
    "waiting list, ICS planning": (
        WAITING,
        {"icb": "QWO", "asOf": AS_OF.isoformat()},
        {"org": "QWO", "roles": ["ics_user"], "purpose": "planning"},
    ),
    "record level refused": (
        PATHWAY,
        {"id": "RR8:PW1"},
        {"roles": ["analyst"], "purpose": "research"},
    ),
    "bad id": (PATHWAY, {"id": "no-colon"}, {}),
    "missing variable": (PATHWAY, {}, {}),
    "syntax error": ("{ pathway(id: ", None, {}),
    "unknown field": ("{ nothingHere }", None, {}),
    "too deep": (TOO_DEEP, None, {}),
    "named operation": ("query A { __typename } query B { __typename }", None, {}),
}


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


@pytest.fixture()
def direct_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many requests the direct path answered."""
    calls: list[int] = []
    answer = graphql_post.GraphQLPost._answer

    async def counted(self: graphql_post.GraphQLPost, *args: Any) -> Any:
        calls.append(1)
        return await answer(self, *args)

    monkeypatch.setattr(graphql_post.GraphQLPost, "_answer", counted)
    return calls


def _both(client: TestClient, body: dict[str, Any], headers: dict[str, str]) -> tuple[Any, Any]:
    direct = client.post("/graphql", json=body, headers=headers)
    routed = client.post("/graphql", json={**body, "clientHint": "x"}, headers=headers)
    return direct, routed


@pytest.mark.parametrize("case", sorted(CASES))
def test_direct_path_answers_like_the_router(
    seeded: Driver, client: TestClient, auth: Any, audit_log: AuditLog, direct_calls: list[int],
    case: str,
) -> None:  # fmt: skip
    query, variables, claims = CASES[case]
    body: dict[str, Any] = {"query": query, "variables": variables}
    if case == "named operation":
        body["operationName"] = "B"
    direct, routed = _both(client, body, auth(**claims))
    assert direct_calls == [1], "the direct path answered the plain request only"
    assert direct.status_code == routed.status_code
    assert direct.headers["content-type"] == routed.headers["content-type"]
    assert direct.json() == routed.json()
    events = list(audit_log.events())
    assert len(events) == 2
    # cache_hits: the second of two identical ICB-wide reads is answered from the answer
    # cache (docs/security.md §7), whichever path it takes
    varying = {"time", "seq", "hash", "prev_hash", "request_id", "cache_hits"}
    first, second = ({k: v for k, v in e.items() if k not in varying} for e in events)
    assert first == second
    assert audit_log.verify().ok


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwdw=="},
    ],
)
def test_refusals_at_authentication_match(
    seeded: Driver, client: TestClient, audit_log: AuditLog, direct_calls: list[int],
    headers: dict[str, str],
) -> None:  # fmt: skip
    direct, routed = _both(client, {"query": "{ __typename }"}, headers)
    assert direct_calls == [1]
    assert direct.status_code == routed.status_code == 401
    assert direct.json() == routed.json()
    assert direct.headers.get("www-authenticate") == routed.headers.get("www-authenticate")
    assert [e["outcome"] for e in audit_log.events()] == ["denied", "denied"]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json"),
        (b'{"query": ""}', "application/json"),
        (b"[]", "application/json"),
        (json.dumps({"query": "{ __typename }"}).encode(), "text/plain"),
    ],
)
def test_other_requests_go_to_the_router(
    seeded: Driver, client: TestClient, auth: Any, direct_calls: list[int], raw: bytes,
    content_type: str,
) -> None:  # fmt: skip
    r = client.post("/graphql", content=raw, headers={**auth(), "Content-Type": content_type})
    assert direct_calls == []
    assert r.status_code in {200, 400, 415}
    assert "Traceback" not in r.text


def test_malformed_json_gets_a_clear_json_error(
    seeded: Driver, client: TestClient, auth: Any
) -> None:
    headers = {**auth(), "Content-Type": "application/json"}
    r = client.post("/graphql", content=b"{not json", headers=headers)
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "not valid JSON" in r.json()["errors"][0]["message"]
    bad_token = {"Authorization": "Bearer nope", "Content-Type": "application/json"}
    r = client.post("/graphql", content=b"{not json", headers=bad_token)
    assert r.status_code == 401


def test_large_body_is_read_whole_and_passed_on(
    seeded: Driver, client: TestClient, auth: Any, direct_calls: list[int]
) -> None:
    padding = " " * (graphql_post.MAX_BODY_BYTES + 10)
    r = client.post(
        "/graphql",
        content=json.dumps({"query": "{ __typename }" + padding}).encode(),
        headers={**auth(), "Content-Type": "application/json"},
    )
    assert direct_calls == []
    assert r.status_code == 200
    assert r.json()["data"] == {"__typename": "Query"}
