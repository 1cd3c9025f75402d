"""The schema on generated demo data (loaders.generate -> the load pipeline -> GraphQL),
checked against independent Cypher counts over the same graph."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.loaders.generate import generate
from openfdp.ontology import load_ontology
from openfdp.services.disclosure import control_count
from openfdp.settings import Settings
from openfdp.store.schema import apply_ontology
from tests.api.graphql_support import gql
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.api
ICB = "QOP"

OPEN_BY_PROVIDER = """
MATCH (t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB {ods_code: $icb})
MATCH (p:RTTPathway {provider_ods: t.ods_code})-[:HAS_PERIOD]->(r:RTTPeriod {status: 'open'})
WHERE r.end_date IS NULL AND NOT coalesce(r.nullified, false)
  AND r.start_date IS NOT NULL  // unknown clock starts are counted apart (RTT return)
  AND p.removed_from_list_date IS NULL
  // opted-out persons included: the statutory counts mirror the national return
  // (privacy.ndoo_statutory_counts = all_patients; docs/security.md §2)
RETURN t.ods_code AS provider, count(*) AS n,
  sum(CASE WHEN p.pathway_class = 'admitted' THEN 1 ELSE 0 END) AS admitted
"""


@pytest.fixture()
def demo(clean_graph: Driver, api_settings: Settings, tmp_path: Path) -> Driver:
    out = tmp_path / "extracts"
    generate(out, data_dir=DATA, trusts=3, patients=200, seed=5, icb=ICB)
    onto = load_ontology()
    apply_ontology(clean_graph, onto, api_settings.neo4j.database)
    for feed, paths in (("ods", [DATA / "nhs-ods-jhau-nhs-spend"]), ("csv", [out])):
        load_feed(feed, paths, cfg=api_settings, driver=clean_graph, ontology=onto)
    return clean_graph


def test_waiting_list_and_pathways_on_demo_data(demo, client, auth):
    expected = {r["provider"]: r["n"] for r in demo.execute_query(OPEN_BY_PROVIDER, icb=ICB)[0]}
    assert sum(expected.values()) > 50
    ics = auth(org=ICB, roles=["ics_user"], purpose="planning")
    today = date.today().isoformat()
    q = """query($icb: String!, $asOf: Date) {
      waitingList(icb: $icb, groupBy: PROVIDER, asOf: $asOf) {
        rows { nodes { key incompletePathways } }
        total { incompletePathways admitted nonAdmitted unknownClockStart } } }"""
    body = gql(client, q, {"icb": ICB, "asOf": today}, ics)
    assert body.get("errors") is None, body
    rows = {r["key"]: r["incompletePathways"] for r in body["data"]["waitingList"]["rows"]["nodes"]}
    assert rows == {k: control_count(expected.get(k, 0)) for k in rows}
    assert set(expected) <= set(rows)
    total = body["data"]["waitingList"]["total"]
    assert total["incompletePathways"] == control_count(sum(expected.values()))
    # RTT return: incomplete pathways split admitted / non-admitted (waiting list type)
    admitted = sum(r["admitted"] for r in demo.execute_query(OPEN_BY_PROVIDER, icb=ICB)[0])
    assert total["admitted"] == control_count(admitted)
    assert total["nonAdmitted"] == control_count(sum(expected.values()) - admitted)

    deep = """query { pathways(first: 20, orderBy: WEEKS_WAITING_DESC) {
      totalCount nodes { id providerOds weeksWaiting
        clockPeriods { startDate endDate status breachDate18w breachDate52w }
        statusEvents { statusCode activityDate } person { pseudoId } } } }"""
    page = gql(client, deep, headers=ics)["data"]["pathways"]
    assert page["totalCount"] >= sum(expected.values())
    weeks = [n["weeksWaiting"] for n in page["nodes"]]
    assert weeks == sorted(weeks, key=lambda w: -1 if w is None else w, reverse=True)
    for node in page["nodes"]:
        assert node["person"]["pseudoId"]
        assert len(node["person"]["pseudoId"]) >= 32  # a keyed token, not an identifier
        dates = [e["activityDate"] for e in node["statusEvents"]]
        assert dates == sorted(dates)
        for period in node["clockPeriods"]:
            if period["breachDate18w"]:  # the first day counted over 18 weeks
                start = date.fromisoformat(period["startDate"])
                assert period["breachDate18w"] == (start + timedelta(days=127)).isoformat()

    # a trust user sees exactly its own trust's pathways
    trust = sorted(expected)[0]
    mine = gql(
        client,
        "query { pathways(first: 100) { totalCount nodes { providerOds } } }",
        headers=auth(org=trust, purpose="direct_care"),
    )["data"]["pathways"]
    (count,) = demo.execute_query(
        "MATCH (p:RTTPathway {provider_ods: $t}) RETURN count(p) AS n", t=trust
    )[0][0]
    assert mine["totalCount"] == count
    assert {n["providerOds"] for n in mine["nodes"]} == {trust}
