"""Writing the row-level scope into analyst Cypher: what is rewritten, what is refused."""

from __future__ import annotations

import pytest

from openfdp.ontology import load_ontology
from openfdp.services.analyst import SCOPE_PREDICATES
from openfdp.store.cypher_scope import scope_query
from openfdp.store.cypher_tokens import ScopeRefused

pytestmark = pytest.mark.unit

PREDICATES = {"RTTPathway": "{v}.provider_ods IN $allowed_providers", "Bed": "{v}.ok"}
SCOPE = "(w.provider_ods IN $allowed_providers)"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "MATCH (w:RTTPathway) RETURN count(w)",
            f"MATCH (w:RTTPathway WHERE {SCOPE}) RETURN count(w)",
        ),
        (
            "MATCH (w:RTTPathway {status: 'open'}) RETURN count(*)",
            f"MATCH (w:RTTPathway {{status: 'open'}} WHERE {SCOPE}) RETURN count(*)",
        ),
        (
            "MATCH (w:RTTPathway WHERE w.x = 1 OR w.y = 2) RETURN count(*)",
            f"MATCH (w:RTTPathway WHERE {SCOPE} AND ( w.x = 1 OR w.y = 2)) RETURN count(*)",
        ),
        (
            "MATCH (:RTTPathway)-[:R]->(b:Bed) RETURN count(b)",
            "MATCH (openfdp_scoped_1:RTTPathway WHERE "
            "(openfdp_scoped_1.provider_ods IN $allowed_providers))-[:R]->(b:Bed WHERE (b.ok)) "
            "RETURN count(b)",
        ),
        ("MATCH (t:NHSTrust) RETURN count(t)", "MATCH (t:NHSTrust) RETURN count(t)"),
        (
            "MATCH (`w x`:`RTTPathway`) RETURN count(*)",
            "MATCH (`w x`:`RTTPathway` WHERE (`w x`.provider_ods IN $allowed_providers)) "
            "RETURN count(*)",
        ),
        (  # comments and strings are left alone
            "MATCH (t:NHSTrust) // (x:RTTPathway)\nRETURN '(y:RTTPathway)' AS s, count(*)",
            "MATCH (t:NHSTrust) // (x:RTTPathway)\nRETURN '(y:RTTPathway)' AS s, count(*)",
        ),
        (  # parenthesised expressions are not node patterns
            "MATCH (w:RTTPathway) WHERE (w.a > 1) AND (w) IS NOT NULL "
            "RETURN count(w), sum((w.b) * 2), CASE WHEN (count(w)) > 1 THEN 1 END",
            f"MATCH (w:RTTPathway WHERE {SCOPE}) WHERE (w.a > 1) AND (w) IS NOT NULL "
            "RETURN count(w), sum((w.b) * 2), CASE WHEN (count(w)) > 1 THEN 1 END",
        ),
        (
            "MATCH (t:NHSTrust) RETURN COUNT { MATCH (t:NHSTrust)<-[:I]-(w:RTTPathway) } AS n",
            f"MATCH (t:NHSTrust) RETURN COUNT {{ MATCH (t:NHSTrust)<-[:I]-(w:RTTPathway WHERE "
            f"{SCOPE}) }} AS n",
        ),
        (
            "UNWIND [1] AS k RETURN any(x IN [1] WHERE x = k) AS a, count(*) AS n",
            "UNWIND [1] AS k RETURN any(x IN [1] WHERE x = k) AS a, count(*) AS n",
        ),
    ],
)
def test_scoped_patterns(query: str, expected: str) -> None:
    assert scope_query(query, PREDICATES) == expected


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("MATCH (n) RETURN count(n)", "must name one label"),
        ("MATCH () RETURN count(*)", "must name one label"),
        ("MATCH (a:NHSTrust), (b) RETURN count(*)", "must name one label"),
        ("MATCH (a:NHSTrust)<--(b) RETURN count(*)", "must name one label"),
        ("MATCH (w:RTTPathway) WITH w MATCH (w)-->(b:Bed) RETURN 1", "must name one label"),
        ("CALL () { MATCH (v:NHSTrust) RETURN 1 AS o } MATCH (v)-->(w:Bed) RETURN 1", "label"),
        ("MATCH (w:RTTPathway|Bed) RETURN 1", "one plain label"),
        ("MATCH (w:RTTPathway&Bed) RETURN 1", "one plain label"),
        ("MATCH (w:RTTPathway:Bed) RETURN 1", "one plain label"),
        ("MATCH (w:!NHSTrust) RETURN 1", "one plain label"),
        ("MATCH (w:%) RETURN 1", "one plain label"),
        ("MATCH (w IS RTTPathway) RETURN 1", "one plain label"),
        ("MATCH (w:$($l)) RETURN 1", "one plain label"),
        ("MATCH (a:NHSTrust)-[*]->(b:Bed) RETURN 1", "variable-length"),
        ("MATCH (a:NHSTrust)-[:R*1..3]->(b:Bed) RETURN 1", "variable-length"),
        ("MATCH (a:NHSTrust)-[:R]->+(b:Bed) RETURN 1", "quantified"),
        ("MATCH (a:NHSTrust)-[:R]->{1,3}(b:Bed) RETURN 1", "quantified"),
        ("MATCH ((a:NHSTrust)-[:R]->(b:Bed)){1,3} RETURN 1", "path patterns"),
        ("MATCH p = (a:NHSTrust)-->(b:Bed) RETURN size(nodes(p))", "nodes()"),
        ("MATCH (a:NHSTrust)-[r]->(b:Bed) RETURN endNode(r).x", "endNode()"),
        ("MATCH (a:NHSTrust)-[r]->(b:Bed) RETURN startnode(r).x", "startnode()"),
        ("MATCH p = shortestPath((a:NHSTrust)-->(b:Bed)) RETURN 1", "shortest"),
        ("MATCH p = SHORTEST 1 (a:NHSTrust)-->+(b:Bed) RETURN 1", "shortest"),
        ("RETURN 'open", "not closed"),
    ],
)
def test_refused(query: str, says: str) -> None:
    with pytest.raises(ScopeRefused, match=says.replace("(", r"\(").replace(")", r"\)")):
        scope_query(query, PREDICATES)


def test_every_record_level_class_of_the_ontology_is_scoped() -> None:
    """A class whose nodes carry provider_ods must have a scope predicate, and its nodes no
    other label (a superclass label would reach them without the predicate). An ontology
    change that breaks either fails here rather than opening analyst Cypher."""
    onto = load_ontology()
    record_level = [
        onto.node_type(name)
        for name in onto.node_types
        if "provider_ods" in onto.node_type(name).properties
    ]
    assert len(record_level) >= 15
    for node_type in record_level:
        assert node_type.name in SCOPE_PREDICATES, node_type.name
    for name in SCOPE_PREDICATES:
        assert onto.node_type(name).labels == (name,), name
