"""Fixtures for the analyst red-team suite: one graph and one app per module (every query
is read-only; the suite checks that nothing changed).

The graph is tests/api/fixtures_graph.py (QWO: RR8 with 10 pathways, 2 of persons who
opted out; RAE with 9, 1 opted out; QF7: RHQ with 3) plus, for every pathway, one open
RTT period of ``length_days`` days. Secrets an analyst of QWO must never learn:

- a **small group**: three RR8 pathways (rr8-2, rr8-3, rr8-4) have treatment function
  ``999`` — 3 records; the other 13 visible pathways are ``110``;
- a **record-level value**: rr8-2's period is 777 days long (no other is);
- **another trust's records**: RHQ's 3 pathways (ICB QF7);
- **opted-out persons**: 3 pathways in QWO.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.services.auth import mint_token
from openfdp.settings import Settings
from tests.api.fixtures_graph import PERSONS, load_test_graph
from tests.conftest import make_test_settings, wipe

SMALL_GROUP = ("rr8-2", "rr8-3", "rr8-4")
SECRET_DAYS = 777

PERIODS = """
UNWIND $periods AS p
MATCH (w:RTTPathway {ppid: p.ppid})
CREATE (w)-[:HAS_PERIOD]->(:RTTPeriod {
  period_id: w.ppid + '-1', provider_ods: w.provider_ods, status: 'open',
  start_date: date('2026-01-05'), length_days: p.days})
"""
SMALL = """
UNWIND $labels AS label
MATCH (w:RTTPathway {ppid: 'PPID-' + label})
SET w.treatment_function_code = '999'
"""
SECRET = """
MATCH (w:RTTPathway {ppid: 'PPID-rr8-2'})-[:HAS_PERIOD]->(r:RTTPeriod)
SET r.length_days = $days
"""

Ask = Callable[..., Any]


@pytest.fixture(scope="module")
def leak_graph(neo4j_driver: Driver) -> Driver:
    wipe(neo4j_driver)
    load_test_graph(neo4j_driver)
    periods = [{"ppid": f"PPID-{p.label}", "days": 100 + 17 * i} for i, p in enumerate(PERSONS)]
    neo4j_driver.execute_query(PERIODS, periods=periods)
    neo4j_driver.execute_query(SMALL, labels=list(SMALL_GROUP))
    neo4j_driver.execute_query(SECRET, days=SECRET_DAYS)
    return neo4j_driver


@pytest.fixture(scope="module")
def leak_settings(tmp_path_factory: pytest.TempPathFactory, leak_graph: Driver) -> Settings:
    state: Path = tmp_path_factory.mktemp("leaks") / "state"
    return make_test_settings(state_dir=state)


@pytest.fixture(scope="module")
def leak_client(leak_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(leak_settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def ask(leak_client: TestClient, leak_settings: Settings) -> Ask:
    """POST /cypher as QWO's planning analyst."""
    token = mint_token(leak_settings, "red-team", "QWO", ["analyst"], "planning", 3600)

    def _ask(query: str, **params: Any) -> Any:
        return leak_client.post(
            "/cypher",
            json={"query": query, "params": params},
            headers={"Authorization": f"Bearer {token}"},
        )

    return _ask
