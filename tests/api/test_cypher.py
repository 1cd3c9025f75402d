"""Analyst Cypher: read-only guard, aggregate-only results, row cap, timeout, audit."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.settings import REPO_ROOT, Settings
from openfdp.store.audit_log import AuditLog
from openfdp.store.cypher_guard import CypherRefused, static_check
from tests.api.conftest import AuthFactory
from tests.api.graphql_support import seed

pytestmark = pytest.mark.api

ANALYST = {"roles": ["analyst"], "purpose": "planning", "org": "QWO"}


def run(client: TestClient, auth: AuthFactory, query: str, **params: Any) -> Any:
    return client.post("/cypher", json={"query": query, "params": params}, headers=auth(**ANALYST))


@pytest.mark.parametrize(
    "query",
    [
        "CREATE (n:NHSTrust {ods_code: 'XXX'}) RETURN count(n)",
        "MATCH (t:NHSTrust) SET t.name = 'x' RETURN count(t)",
        "MATCH (n) DETACH DELETE n",
        "MERGE (n:ICB {ods_code: 'Q99'}) RETURN count(n)",
        "MATCH (p:PseudonymisedPerson) REMOVE p.ndoo_opt_out RETURN count(p)",
        "CREATE INDEX idx_x IF NOT EXISTS FOR (n:NHSTrust) ON (n.name)",
        "CREATE CONSTRAINT c_x IF NOT EXISTS FOR (n:Foo) REQUIRE n.id IS UNIQUE",
        "DROP INDEX idx_x IF EXISTS",
        "CALL dbms.listConfig() YIELD name RETURN count(name)",
        "CALL `dbms`.`listConfig`() YIELD name RETURN count(name)",
        "CALL db.stats.retrieve('GRAPH COUNTS') YIELD data RETURN count(data)",
        "CALL dbms.security.createUser('x', 'y', false)",
        "SHOW USERS",
        "CREATE USER eve SET PASSWORD 'secret-password'",
        "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN count(row)",
        "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10 ROWS",
        "UNWIND [1] AS x CALL (x) { RETURN x AS y } IN TRANSACTIONS RETURN count(y)",
        "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})",
        "CALL db.createLabel('Evil')",
        "MATCH (n) RETURN count(n); MATCH (m) DETACH DELETE m",
        "USE system SHOW DATABASES",
        "EXPLAIN MATCH (n) RETURN count(n)",
    ],
)
def test_writes_schema_and_admin_are_refused(
    client: TestClient, graph: Driver, auth: AuthFactory, query: str
) -> None:
    r = run(client, auth, query)
    assert r.status_code in {400, 403}, r.text
    body = r.json()
    assert set(body) == {"error"}
    assert "Traceback" not in r.text
    # nothing changed
    n = graph.execute_query("MATCH (t:NHSTrust) RETURN count(t) AS n").records[0]["n"]
    assert n == 3


def test_write_refusal_message_is_clear(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    r = run(client, auth, "MATCH (t:NHSTrust) SET t.name = 'x' RETURN count(t)")
    assert r.status_code == 403
    assert "read-only" in r.json()["error"]["message"]


def test_static_check_ignores_keywords_inside_strings() -> None:
    static_check("MATCH (t:NHSTrust {name: 'LOAD CSV; CALL dbms.x'}) RETURN count(t)")
    with pytest.raises(CypherRefused):
        static_check("LOAD CSV FROM 'x' AS r RETURN count(r)")


def test_aggregate_query_runs_with_disclosure_control(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    q = (
        "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(w:RTTPathway) "
        "WHERE w.provider_ods IN $allowed_providers "
        "AND (NOT $exclude_opted_out OR NOT p.ndoo_opt_out) "
        "RETURN w.provider_ods AS trust, count(*) AS pathways ORDER BY trust"
    )
    r = run(client, auth, q)
    assert r.status_code == 200, r.text
    body = r.json()
    # RAE: 9 persons - 1 opted out = 8 -> 10; RR8: 10 - 2 = 8 -> 10; RHQ is outside QWO
    assert body["rows"] == [["RAE", 10], ["RR8", 10]]
    assert body["disclosure"] == {"policy": "nhs-sdc-rounding", "version": "1"}
    assert body["supplied_parameters"] == {
        "allowed_providers": ["RAE", "RR8"],
        "exclude_opted_out": True,
    }


def test_small_counts_are_suppressed(client: TestClient, graph: Driver, auth: AuthFactory) -> None:
    r = run(client, auth, "MATCH (t:NHSTrust) RETURN count(*) AS n")  # 3 trusts
    assert r.json()["rows"] == [[None]]


def test_user_parameters_are_passed(client: TestClient, graph: Driver, auth: AuthFactory) -> None:
    q = (
        "MATCH (w:RTTPathway) WHERE w.provider_ods = $trust "
        "AND w.provider_ods IN $allowed_providers RETURN count(*) AS n"
    )
    assert run(client, auth, q, trust="RR8").json()["rows"] == [[10]]


def test_reserved_parameters_cannot_be_overridden(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    r = run(client, auth, "RETURN count(*) AS n", allowed_providers=["RHQ"])
    assert r.status_code == 400
    assert "reserved" in r.json()["error"]["message"]


def test_row_level_results_are_refused(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    r = run(client, auth, "MATCH (t:NHSTrust) RETURN t.ods_code AS trust")
    assert r.status_code == 403
    assert "aggregates only" in r.json()["error"]["message"]


def test_nodes_and_pseudo_ids_are_refused(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    nodes = run(client, auth, "MATCH (t:NHSTrust) RETURN t AS trust, count(*) AS n")
    assert nodes.status_code == 403
    assert "not nodes" in nodes.json()["error"]["message"]
    ids = run(
        client,
        auth,
        "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(w:RTTPathway) "
        "WHERE w.provider_ods IN $allowed_providers "
        "AND (NOT $exclude_opted_out OR NOT p.ndoo_opt_out) "
        "RETURN p.pseudo_id AS id, count(*) AS n",
    )
    assert ids.status_code == 403
    assert "identifier 'pseudo_id'" in ids.json()["error"]["message"]


def _counts(r: Any) -> dict[str, int]:
    assert r.status_code == 200, r.text
    return {row[0]: row[1] for row in r.json()["rows"]}


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (w:RTTPathway) RETURN w.provider_ods AS t, count(*) AS n",
        # mentioning the scope parameters without restricting by them changes nothing
        "MATCH (w:RTTPathway) WHERE $allowed_providers IS NOT NULL "
        "RETURN w.provider_ods AS t, count(*) AS n",
        "MATCH (w:`RTTPathway` {pathway_status: 'open'} WHERE w.treatment_function_code = '110') "
        "RETURN w.provider_ods AS t, count(*) AS n",
        "MATCH (t:NHSTrust)<-[:ISSUED_BY]-(:RTTPathway) RETURN t.ods_code AS t, count(*) AS n",
        "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(w:RTTPathway) "
        "RETURN w.provider_ods AS t, count(p) AS n",
        "MATCH (t:NHSTrust) WHERE COUNT { MATCH (t:NHSTrust)<-[:ISSUED_BY]-(x:RTTPathway) } > 0 "
        "MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway) RETURN t.ods_code AS t, count(w) AS n",
    ],
)
def test_record_level_data_is_scoped_whatever_the_query_says(
    client: TestClient, graph: Driver, auth: AuthFactory, query: str
) -> None:
    """QWO's analyst (trusts RR8 and RAE) sees 8 + 8 pathways of persons who did not opt
    out (10 and 9, less 2 and 1 opted out): 10 and 10 after rounding, and nothing of RHQ
    (3 pathways, in another ICB), whatever the query."""
    counts = _counts(run(client, auth, query))
    assert counts.get("RHQ", 0) == 0
    assert counts["RR8"] == counts["RAE"] == 10
    raw = graph.execute_query(
        "MATCH (w:RTTPathway) RETURN w.provider_ods AS t, count(*) AS n"
    ).records
    assert {r["t"]: r["n"] for r in raw} == {"RR8": 10, "RAE": 9, "RHQ": 3}


def test_opted_out_persons_never_count(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    opted = _counts(run(
        client, auth,
        "MATCH (p:PseudonymisedPerson) WHERE p.ndoo_opt_out RETURN 'opted' AS k, count(*) AS n",
    ))  # fmt: skip
    assert opted.get("opted", 0) == 0
    all_people = _counts(
        run(client, auth, "MATCH (p:PseudonymisedPerson) RETURN 'all' AS k, count(*) AS n")
    )
    assert all_people["all"] == 15  # 16 persons of RR8 and RAE who did not opt out


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("MATCH (n) RETURN count(n) AS n", "must name one label"),
        ("MATCH (t:NHSTrust)<--(w) RETURN count(w) AS n", "must name one label"),
        ("MATCH (t:NHSTrust)<--() RETURN count(*) AS n", "must name one label"),
        (
            "MATCH (w:RTTPathway) WITH w MATCH (w)<-[:SUBJECT_OF]-(p:PseudonymisedPerson) "
            "RETURN count(*) AS n",
            "must name one label",
        ),
        ("MATCH (w:RTTPathway|Bed) RETURN count(*) AS n", "one plain label"),
        ("MATCH (w:!NHSTrust) RETURN count(*) AS n", "one plain label"),
        ("MATCH (w IS RTTPathway) RETURN count(*) AS n", "one plain label"),
        ("MATCH (t:NHSTrust)-[*]-(x:RTTPathway) RETURN count(*) AS n", "variable-length"),
        (
            "MATCH p = (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway) UNWIND nodes(p) AS x "
            "RETURN count(x) AS n",
            "nodes()",
        ),
        (
            "MATCH (t:NHSTrust)<-[r:ISSUED_BY]-(w:RTTPathway) RETURN count(startNode(r)) AS n",
            "startNode()",
        ),
        (
            "MATCH ((t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway)){1,2} RETURN count(*) AS n",
            "path patterns",
        ),
        (
            "CALL () { MATCH (v:NHSTrust) RETURN 1 AS one } "
            "MATCH (v)<-[:ISSUED_BY]-(w:RTTPathway) RETURN count(*) AS n",
            "must name one label",
        ),
        (
            "MATCH (t:NHSTrust) WHERE (t:NHSTrust)<-[:ISSUED_BY]-(:RTTPathway) "
            "RETURN count(*) AS n",
            "EXISTS",
        ),
    ],
)
def test_queries_that_could_escape_the_scope_are_refused(
    client: TestClient, graph: Driver, auth: AuthFactory, query: str, says: str
) -> None:
    r = run(client, auth, query)
    assert r.status_code == 403, r.text
    assert says in r.json()["error"]["message"]


def test_comments_and_strings_are_not_patterns(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    counts = _counts(run(
        client, auth,
        "MATCH (w:RTTPathway) // (n) MATCH (m)\n"
        "RETURN w.provider_ods + ' (x)' AS t, count(*) AS n",
    ))  # fmt: skip
    assert counts == {"RR8 (x)": 10, "RAE (x)": 10}


def test_syntax_errors_are_explained_without_a_trace(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    r = run(client, auth, "MATCH (n RETURN count(n)")
    assert r.status_code == 403
    assert "Neo4j rejected the query" in r.json()["error"]["message"]


def test_purpose_and_role_rules(client: TestClient, graph: Driver, auth: AuthFactory) -> None:
    q = {"query": "MATCH (t:NHSTrust) RETURN count(*) AS n"}
    direct = client.post("/cypher", json=q, headers=auth(roles=["analyst"], purpose="direct_care"))
    assert direct.status_code == 403
    research = client.post("/cypher", json=q, headers=auth(roles=["analyst"], purpose="research"))
    assert research.status_code == 200


@pytest.fixture()
def capped_client(api_settings: Settings) -> Iterator[TestClient]:
    api = api_settings.api.model_copy(update={"cypher_row_cap": 3, "cypher_timeout_s": 0.5})
    with TestClient(create_app(api_settings.model_copy(update={"api": api}))) as c:
        yield c


def test_row_cap_is_applied(capped_client: TestClient, graph: Driver, auth: AuthFactory) -> None:
    # four wards of eight beds each at RR8: four rows of at least 8 records
    graph.execute_query(
        "UNWIND range(0, 31) AS i CREATE (:Bed {bed_id: 'B' + i, provider_ods: 'RR8', "
        "ward_code: 'W' + (i % 4)})"
    )
    r = run(capped_client, auth, "MATCH (b:Bed) RETURN b.ward_code AS k, count(*) AS n")
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["row_count"] == 3
    assert len(body["rows"]) == 3
    assert body["truncated"] is True
    assert body["row_cap"] == 3


def test_long_queries_time_out(capped_client: TestClient, graph: Driver, auth: AuthFactory) -> None:
    q = (
        "MATCH (t:NHSTrust) WHERE reduce(s = 0, x IN range(1, 30000000) | s + x % 7) > 0 "
        "RETURN count(*) AS n"
    )
    r = run(capped_client, auth, q)
    assert r.status_code == 403, r.text
    assert "was stopped" in r.json()["error"]["message"]


def test_every_run_is_audited(
    client: TestClient, graph: Driver, auth: AuthFactory, audit_log: AuditLog
) -> None:
    run(client, auth, "MATCH (t:NHSTrust) RETURN count(*) AS n")
    run(client, auth, "MATCH (n) DETACH DELETE n")
    client.post("/cypher", json={"query": "RETURN count(*)"})
    events = list(audit_log.events())
    assert [(e["channel"], e["outcome"], e["status"]) for e in events] == [
        ("cypher", "ok", 200),
        ("cypher", "refused", 403),
        ("cypher", "denied", 401),
    ]
    assert events[0]["subject"] == "user-1"
    assert events[0]["purpose"] == "planning"
    assert events[0]["result_size"] == 1
    # the API's caller always comes from a verified token; a failed one is recorded as such
    assert [(e["identity"], e["caller_verified"]) for e in events] == [
        ("verified_token", True),
        ("verified_token", True),
        ("unverified", False),
    ]
    assert len(events[0]["query_hash"]) == 64
    assert "MATCH" not in audit_log.path.read_text()  # hashes, never the query text
    assert audit_log.verify().ok


def _tour_query() -> str:
    path = REPO_ROOT / "scripts" / "tour.py"
    spec = importlib.util.spec_from_file_location("openfdp_tour", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    query: str = module.ANALYST_QUERY
    return query


def test_the_tours_analyst_query_still_runs(
    clean_graph: Driver, client: TestClient, auth: AuthFactory
) -> None:
    """docs/tour.md question 5 (open periods by specialty) passes the typed-output checks and
    comes back controlled: QWO's open periods by TFC (seeded graph: 12 in 100, 8 in 130, 2
    in 110 and the opted-out one excluded) — the 110 row is withheld, and with it the next
    smallest (130), so the 100 row alone is released (10)."""
    seed(clean_graph)
    r = run(client, auth, _tour_query())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["columns"] == ["tfc", "open_periods"]
    assert body["column_types"] == ["key", "count"]
    assert body["rows"] == [["100", 10]]
    assert body["suppressed_rows"] == 2
