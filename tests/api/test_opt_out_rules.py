"""National Data Opt-out rules on the real server (domain-fdp.md §4.2; National Data
Opt-out operational policy guidance, NHS Digital/NHS England).

- **Follows the person** (operational policy guidance: the opt-out is the patient's choice
  recorded against the person and applies to all their confidential patient information
  used beyond individual care): records at another trust linked to an opted-out person
  (same linkage cluster) are excluded too.
- **Anonymised statutory counts** (operational policy guidance §5, "when the opt-out does
  not apply": anonymised data, and statistics released under disclosure control; the
  monthly RTT return is a mandated collection): the ICS waiting-list counts include every
  patient by default (setting ``privacy.ndoo_statutory_counts``), while record-level
  planning views exclude opted-out persons.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.settings import Settings
from tests.api.conftest import AuthFactory
from tests.api.graphql_support import AS_OF, gql, pseudo, seed

pytestmark = pytest.mark.api

PATHWAYS = """
query { pathways(first: 100, orderBy: START_DATE_ASC, asOf: "2026-06-01") {
  edges { node { ppidIssuerOds ppid } } } }
"""
TOTAL = """
query($icb: String) { waitingList(icb: $icb, groupBy: PROVIDER, asOf: "2026-06-01") {
  total { incompletePathways over52Weeks } } }
"""


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


def _pathways(client: TestClient, headers: dict[str, str]) -> set[str]:
    body = gql(client, PATHWAYS, {}, headers)
    assert body.get("errors") is None, body
    edges = body["data"]["pathways"]["edges"]
    return {f"{e['node']['ppidIssuerOds']}:{e['node']['ppid']}" for e in edges}


def _opt_out(graph: Driver, person: str) -> None:
    graph.execute_query(
        "MATCH (x:PseudonymisedPerson {pseudo_id: $pid}) SET x.ndoo_opt_out = true",
        pid=pseudo(person),
    )


def test_opt_out_follows_the_person_through_the_linkage_cluster(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    """linked-rr8 (RR8:PW1) opts out; linked-rae (RAE:PW9) carries another identifier but
    linkage put both in cluster c-linked: PW9 leaves every planning view too, and stays in
    RAE's direct care."""
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    before = _pathways(client, ics)
    assert {"RR8:PW1", "RAE:PW9"} <= before
    _opt_out(seeded, "linked-rr8")
    after = _pathways(client, ics)
    assert "RR8:PW1" not in after
    assert "RAE:PW9" not in after
    rae_planning = _pathways(client, auth(org="RAE", roles=["trust_user"], purpose="research"))
    assert "RAE:PW9" not in rae_planning
    rae_care = _pathways(client, auth(org="RAE", roles=["trust_user"], purpose="direct_care"))
    assert "RAE:PW9" in rae_care


def test_analyst_counts_follow_the_person_too(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    """RAE has 8 open pathways; with PW9's linked person opted out at RR8, 7 remain, and 7
    is a suppressed count."""
    analyst = auth(org="QWO", roles=["analyst"], purpose="planning")
    query = {
        "query": "MATCH (w:RTTPathway {provider_ods: 'RAE'}) RETURN count(*) AS n",
        "params": {},
    }
    assert client.post("/cypher", json=query, headers=analyst).json()["rows"] == [[10]]
    _opt_out(seeded, "linked-rr8")
    assert client.post("/cypher", json=query, headers=analyst).json()["rows"] == [[None]]


def test_linked_person_is_hidden_for_planning(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    q = "query($p: String!) { person(pseudoId: $p) { pseudoId } }"
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    visible = gql(client, q, {"p": pseudo("linked-rae")}, ics)
    assert visible.get("errors") is None, visible
    assert visible["data"]["person"] == {"pseudoId": pseudo("linked-rae")}
    _opt_out(seeded, "linked-rr8")
    hidden = gql(client, q, {"p": pseudo("linked-rae")}, ics)
    assert hidden.get("errors") is None, hidden
    assert hidden["data"]["person"] is None


def _total(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = gql(client, TOTAL, {"icb": "QWO"}, headers)
    assert body.get("errors") is None, body
    total: dict[str, Any] = body["data"]["waitingList"]["total"]
    return total


def test_statutory_waiting_list_counts_include_every_patient_by_default(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    """23 open pathways at QWO's trusts, one of a person who opted out (RR8:OPT1, 470 days):
    the count mirroring the national return has all 23 (25 after rounding) and 8 over 52
    weeks (10); the record-level planning view still leaves OPT1 out."""
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    assert _total(client, ics) == {"incompletePathways": 25, "over52Weeks": 10}
    assert "RR8:OPT1" not in _pathways(client, ics)


def test_statutory_counts_policy_can_exclude_opted_out_persons(
    seeded: Driver, api_settings: Settings, auth: AuthFactory
) -> None:
    privacy = api_settings.privacy.model_copy(update={"ndoo_statutory_counts": "exclude_opted_out"})
    strict = api_settings.model_copy(update={"privacy": privacy})
    with TestClient(create_app(strict)) as client:
        ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
        assert _total(client, ics) == {"incompletePathways": 20, "over52Weeks": None}


def test_direct_care_counts_are_unchanged(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    rr8 = auth(org="RR8", roles=["trust_user"], purpose="direct_care")
    body = gql(
        client,
        'query { waitingList(provider: "RR8", groupBy: PROVIDER, asOf: "2026-06-01") '
        "{ total { incompletePathways } } }",
        {},
        rr8,
    )
    assert body["data"]["waitingList"]["total"]["incompletePathways"] == 15  # 16 open
    assert AS_OF.isoformat() == "2026-06-01"
