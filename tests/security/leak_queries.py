"""The red-team queries: each tries to recover a count of 1-7, a pseudo id, a record-level
value, an opted-out person or another trust's record (tests/security/conftest.py says
which secrets the graph holds). ``R``: must be refused; ``A``: must be answered, with
controlled values only."""

from __future__ import annotations

from typing import Any

SMALL = "MATCH (w:RTTPathway {treatment_function_code: '999'}) "
ALL = "MATCH (w:RTTPathway) "
PER = "MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
TRUST = "MATCH (t:NHSTrust) "
SMALL_OF_T = "(t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway {treatment_function_code: '999'})"

Case = tuple[str, str, str, dict[str, Any]]  # (category, expected R|A, query, params)

ARITHMETIC: list[Case] = [
    ("arithmetic", "R", SMALL + "RETURN count(*) * 5 AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN -count(*) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN count(*) + 0 AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN count(*) / 1.0 AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN sum(1.0) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN sum(1) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN count(*) ^ 1 AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN 100 - count(*) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN count(*) % 8 AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN abs(count(*)) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN avg(1) AS n", {}),
    ("arithmetic", "R", PER + "RETURN sum(r.length_days * 0 + 1) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN count(*) * 1.0 AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN sqrt(count(*)) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN exp(count(*)) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN round(count(*) * 1.0, 0) AS n", {}),
    ("arithmetic", "R", SMALL + "RETURN count(*) * count(*) AS n", {}),
    (
        "arithmetic",
        "R",
        ALL + "RETURN count(*) - count(CASE WHEN w.treatment_function_code = '999' THEN 1 END)"
        " AS n",
        {},
    ),
    (
        "arithmetic",
        "R",
        ALL + "RETURN sum(CASE WHEN w.treatment_function_code = '999' THEN 1 ELSE 0 END) AS n",
        {},
    ),
    (
        "arithmetic",
        "A",
        ALL + "RETURN count(CASE WHEN w.treatment_function_code = '999' THEN 1 END) AS n",
        {},
    ),
    (
        "arithmetic",
        "A",
        ALL + "RETURN count(*) AS a, "
        "count(CASE WHEN w.treatment_function_code <> '999' THEN 1 END) AS b",
        {},
    ),
    ("arithmetic", "R", PER + "RETURN sum(r.length_days) - sum(r.length_days) + 1 AS n", {}),
]

CASTS: list[Case] = [
    ("cast", "R", SMALL + "RETURN toString(count(*)) AS n", {}),
    ("cast", "R", SMALL + "RETURN toFloat(count(*)) AS n", {}),
    ("cast", "R", SMALL + "RETURN toInteger(count(*) * 1.0) AS n", {}),
    ("cast", "R", SMALL + "RETURN toStringOrNull(count(*)) AS n", {}),
    ("cast", "R", SMALL + "RETURN count(*) + '' AS n", {}),
    ("cast", "R", SMALL + "RETURN 'n=' + count(*) AS n", {}),
    ("cast", "R", SMALL + "RETURN toBoolean(count(*) = 3) AS n", {}),
    ("cast", "R", SMALL + "RETURN count(*) = 3 AS n", {}),
    ("cast", "R", SMALL + "RETURN toFloatOrNull(count(*)) AS n", {}),
    (
        "cast",
        "R",
        PER + "WHERE w.treatment_function_code = '999' RETURN toString(avg(r.length_days)) AS a",
        {},
    ),
    ("cast", "R", SMALL + "RETURN [toString(count(*))] AS n", {}),
    ("cast", "R", PER + "RETURN avg(toFloat(r.length_days)) AS a", {}),
    ("cast", "R", PER + "RETURN sum(toInteger(w.treatment_function_code = '999')) AS n", {}),
]

LISTS: list[Case] = [
    ("list", "R", SMALL + "RETURN collect(w.provider_ods) AS xs", {}),
    ("list", "R", SMALL + "RETURN size(collect(w)) AS n", {}),
    ("list", "R", ALL + "RETURN collect(DISTINCT w.treatment_function_code) AS xs", {}),
    ("list", "R", SMALL + "RETURN [count(*)] AS n", {}),
    ("list", "R", SMALL + "RETURN [count(*), 1] AS n", {}),
    ("list", "R", SMALL + "RETURN head(collect(w.provider_ods)) AS x", {}),
    ("list", "R", SMALL + "RETURN last(collect(w.provider_ods)) AS x", {}),
    ("list", "R", SMALL + "RETURN range(1, count(*)) AS xs", {}),
    ("list", "R", SMALL + "RETURN reverse(collect(w.provider_ods)) AS xs", {}),
    ("list", "R", SMALL + "RETURN size(collect(DISTINCT w.provider_ods)) AS n", {}),
    ("list", "R", SMALL + "RETURN reduce(s = 0, x IN collect(1) | s + x) AS n", {}),
    ("list", "R", SMALL + "RETURN {n: count(*)} AS m", {}),
    (
        "list",
        "R",
        ALL + "RETURN w.treatment_function_code AS k, collect(w.provider_ods)[0] AS x, "
        "count(*) AS n",
        {},
    ),
    ("list", "R", PER + "RETURN [x IN collect(r.length_days) WHERE x > 700] AS xs", {}),
    ("list", "R", PER + "RETURN size([x IN collect(r.length_days) WHERE x > 700]) AS n", {}),
    ("list", "R", ALL + "RETURN split(w.provider_ods, '') AS k, count(*) AS n", {}),
]

SUBQUERIES: list[Case] = [
    (
        "subquery",
        "R",
        "CALL () { " + SMALL + "RETURN count(*) AS c } RETURN c AS k, count(*) AS n",
        {},
    ),
    (
        "subquery",
        "R",
        TRUST + "CALL (t) { MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway) "
        "RETURN count(*) AS c } RETURN c AS k, count(*) AS n",
        {},
    ),
    ("subquery", "R", "CALL { MATCH (w:RTTPathway) RETURN w } RETURN count(*) AS n", {}),
    (
        "subquery",
        "R",
        TRUST + "CALL (t) { " + SMALL + "RETURN w.provider_ods AS p } RETURN p AS k, count(*) AS n",
        {},
    ),
    (
        "subquery",
        "R",
        TRUST + "RETURN t.ods_code AS k, COUNT { MATCH " + SMALL_OF_T + " } AS n",
        {},
    ),
    ("subquery", "R", TRUST + "RETURN COUNT { " + SMALL + "} AS n, count(*) AS m", {}),
    (
        "subquery",
        "R",
        TRUST + "RETURN t.ods_code AS k, COLLECT { MATCH (t:NHSTrust)<-[:ISSUED_BY]-"
        "(w:RTTPathway) RETURN w.treatment_function_code } AS xs",
        {},
    ),
    (
        "subquery",
        "R",
        TRUST + "WITH t, COLLECT { MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway) "
        "RETURN w.treatment_function_code } AS xs RETURN xs AS k, count(*) AS n",
        {},
    ),
    (
        "subquery",
        "A",
        ALL + "RETURN EXISTS { MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
        "WHERE r.length_days = 777 } AS k, count(*) AS n",
        {},
    ),
    (
        "subquery",
        "A",
        ALL + "WHERE EXISTS { MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
        "WHERE r.length_days = 777 } RETURN count(*) AS n",
        {},
    ),
    (
        "subquery",
        "R",
        ALL + "WHERE COUNT { MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
        "RETURN count(*) AS c } > 0 RETURN count(*) AS n",
        {},
    ),
    (
        "subquery",
        "A",
        ALL + "WITH w, COUNT { MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) } AS periods "
        "RETURN periods AS k, count(*) AS n",
        {},
    ),
    (
        "subquery",
        "A",
        ALL + "RETURN w.treatment_function_code AS k, count(*) AS n, EXISTS { " + SMALL + "} AS e",
        {},
    ),
    (
        "subquery",
        "A",
        TRUST + "WHERE EXISTS { MATCH " + SMALL_OF_T + " } RETURN t.ods_code AS k, count(*) AS n",
        {},
    ),
    (
        "subquery",
        "R",
        TRUST + "RETURN t.ods_code AS k, count(*) AS n, COUNT { MATCH (t:NHSTrust)<-[:ISSUED_BY]-"
        "(w:RTTPathway) } AS c",
        {},
    ),
]

UNIONS: list[Case] = [
    ("union", "R", SMALL + "RETURN count(*) AS n UNION " + ALL + "RETURN count(*) AS n", {}),
    (
        "union",
        "R",
        SMALL + "RETURN 'small' AS k, count(*) AS n UNION ALL " + ALL + "RETURN 'all' AS k, "
        "count(*) AS n",
        {},
    ),
    (
        "union",
        "R",
        "MATCH (w:RTTPathway {provider_ods: 'RHQ'}) RETURN count(*) AS n UNION "
        + TRUST
        + "RETURN count(*) AS n",
        {},
    ),
    ("union", "R", "RETURN 1 AS n UNION " + SMALL + "RETURN count(*) AS n", {}),
]

PATTERN_COMPREHENSIONS: list[Case] = [
    (
        "pattern comprehension",
        "R",
        TRUST + "RETURN t.ods_code AS k, [(t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway) | "
        "w.treatment_function_code] AS xs, count(*) AS n",
        {},
    ),
    (
        "pattern comprehension",
        "*",
        TRUST + "RETURN t.ods_code AS k, size([" + SMALL_OF_T + " | 1]) AS s, count(*) AS n",
        {},
    ),
    (
        "pattern comprehension",
        "*",
        ALL + "RETURN size([(w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) WHERE r.length_days = "
        "777 | r]) AS k, count(*) AS n",
        {},
    ),
    (
        "pattern comprehension",
        "*",
        ALL + "RETURN [(w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) | r.length_days][0] AS k, "
        "count(*) AS n",
        {},
    ),
    (
        "pattern comprehension",
        "R",
        TRUST + "WITH t, [(t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway) | w.treatment_function_code]"
        " AS xs UNWIND xs AS x RETURN x AS k, count(*) AS n",
        {},
    ),
    (
        "pattern comprehension",
        "*",
        ALL + "RETURN [(w:RTTPathway)<-[:SUBJECT_OF]-(p:PseudonymisedPerson) | "
        "p.year_of_birth][0] AS yob, count(*) AS n",
        {},
    ),
]

RE_AGGREGATION: list[Case] = [
    ("with re-aggregation", "R", ALL + "WITH count(*) AS c RETURN c AS k, count(*) AS n", {}),
    (
        "with re-aggregation",
        "R",
        ALL + "WITH w.treatment_function_code AS t, count(*) AS c RETURN t AS k, sum(c) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "R",
        ALL + "WITH collect(w) AS ws RETURN size(ws) AS k, count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "R",
        ALL + "WITH DISTINCT w.treatment_function_code AS t RETURN count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "A",
        ALL + "WITH w ORDER BY w.treatment_function_code DESC LIMIT 3 RETURN count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "A",
        ALL + "WITH w SKIP 13 RETURN w.treatment_function_code AS k, count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "A",
        ALL + "WITH w.treatment_function_code AS t RETURN t AS k, count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "A",
        ALL + "WITH w, w.treatment_function_code = '999' AS s WHERE s RETURN s AS k, count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "R",
        PER + "WITH r, avg(r.length_days) AS a RETURN a AS k, count(*) AS n",
        {},
    ),
    (
        "with re-aggregation",
        "R",
        ALL + "WITH w.provider_ods AS p, max(w.treatment_function_code) AS m "
        "RETURN m AS k, count(*) AS n",
        {},
    ),
]
