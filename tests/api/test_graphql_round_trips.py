"""No N+1: a deep pathway query costs one database round trip, however much data it reads.

The schema is executed directly with a context built here, so the context's round-trip
counter can be read after the request.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from neo4j import Driver
from openfdp.api.deps import GraphQLContext
from openfdp.api.schema import build_schema
from openfdp.services.context import AccessScope, Principal
from openfdp.settings import Settings
from openfdp.store.driver import open_async_driver
from tests.api.graphql_support import seed

pytestmark = pytest.mark.api

DEEP_PAGE = """
query {
  pathways(first: 100, asOf: "2026-06-01") {
    totalCount
    nodes {
      id weeksWaiting provider { name }
      clockPeriods { startDate weeksWaited breachDate18w breachDate52w breachDate65w
                     breachDate78w breachDate104w }
      statusEvents { statusCode statusDisplay activityDate }
      appointments { appointmentDate site { name } }
      procedures { code } diagnoses { code }
      person { pseudoId }
      pathwaysAtOtherTrusts { id }
    }
  }
}
"""

MORE = """
UNWIND range(1, $n) AS i
MATCH (t:NHSTrust {ods_code: 'RR8'})
CREATE (p:RTTPathway {ppid_issuer_ods: 'RR8', ppid: 'BULK' + i, provider_ods: 'RR8',
  treatment_function_code: '100', pathway_status: 'open',
  referral_request_received_date: date('2026-01-01')})-[:ISSUED_BY]->(t)
CREATE (:PseudonymisedPerson {pseudonymisation_domain: 'openfdp-demo-ics',
  pseudo_id: 'bulk-' + i, cluster_id: 'bulk-' + i, ndoo_opt_out: false})-[:SUBJECT_OF]->(p)
CREATE (p)-[:HAS_PERIOD]->(:RTTPeriod {period_id: 'RR8:BULK' + i + ':2026-01-01',
  provider_ods: 'RR8', start_date: date('2026-01-01'), status: 'open'})
WITH p, i UNWIND range(1, 1 + i % 5) AS k
CREATE (p)-[:HAS_EVENT]->(:RTTStatusEvent {event_id: 'RR8:BULK' + i + ':' + k,
  provider_ods: 'RR8', status_code: CASE k WHEN 1 THEN '10' ELSE '20' END,
  activity_date: date('2026-01-01') + duration({days: 7 * k}), seq: k})
"""


def execute(settings: Settings, query: str) -> tuple[dict[str, Any], int]:
    scope = AccessScope(
        principal=Principal("tester", "QWO", frozenset({"ics_user"}), "planning"),
        providers=frozenset({"RR8", "RAE"}),
        record_level=True,
        exclude_opted_out=True,
        aggregate_providers=frozenset({"RR8", "RAE"}),
    )

    async def run() -> tuple[dict[str, Any], int]:
        driver = open_async_driver(settings)
        try:
            ctx = GraphQLContext(driver=driver, settings=settings, scope=scope)
            result = await build_schema(settings).execute(query, context_value=ctx)
            assert result.errors is None, result.errors
            assert result.data is not None
            return result.data, ctx.db_round_trips
        finally:
            await driver.close()

    return asyncio.run(run())


def test_deep_pathway_query_is_one_round_trip_whatever_the_size(
    clean_graph: Driver, test_settings: Settings
):
    seed(clean_graph)
    small, trips_small = execute(test_settings, DEEP_PAGE)
    clean_graph.execute_query(MORE, n=90)
    large, trips_large = execute(test_settings, DEEP_PAGE)
    assert small["pathways"]["totalCount"] < large["pathways"]["totalCount"]
    assert len(large["pathways"]["nodes"]) == 100
    events = sum(len(n["statusEvents"]) for n in large["pathways"]["nodes"])
    assert events > 200
    assert trips_small == trips_large == 1


def test_round_trips_equal_root_fields(clean_graph: Driver, test_settings: Settings):
    seed(clean_graph)
    query = """query {
      a: pathway(id: "RR8:PW1") { statusEvents { statusCode } person { pseudoId } }
      b: waitingList(icb: "QWO", groupBy: TFC) { rows { nodes { key } } }
      c: person(pseudoId: "x") { pseudoId }
      d: suppliers { nodes { contracts { buyers { name } } agreements { role } } }
    }"""
    data, trips = execute(test_settings, query)
    assert data["a"]["statusEvents"]
    assert trips == 4
