"""More red-team queries (see leak_queries.py): OPTIONAL MATCH, parameters, comments,
string tricks, record-level values, other trusts and opted-out persons."""

from __future__ import annotations

from tests.security.leak_queries import ALL, PER, SMALL, TRUST, Case

OPTIONAL: list[Case] = [
    (
        "optional match",
        "A",
        TRUST + "OPTIONAL MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway "
        "{treatment_function_code: '999'}) RETURN t.ods_code AS k, count(w) AS n",
        {},
    ),
    (
        "optional match",
        "A",
        TRUST + "OPTIONAL MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway "
        "{treatment_function_code: '999'}) RETURN count(w) AS n",
        {},
    ),
    (
        "optional match",
        "A",
        TRUST + "OPTIONAL MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway)-[:HAS_PERIOD]->"
        "(r:RTTPeriod) WHERE w.treatment_function_code = '999' "
        "RETURN t.ods_code AS k, avg(r.length_days) AS a",
        {},
    ),
    (
        "optional match",
        "A",
        TRUST + "OPTIONAL MATCH (t:NHSTrust)<-[:ISSUED_BY]-(w:RTTPathway {provider_ods: 'RHQ'}) "
        "RETURN count(w) AS n",
        {},
    ),
    (
        "optional match",
        "A",
        ALL + "OPTIONAL MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod {length_days: 777}) "
        "RETURN count(r) AS n",
        {},
    ),
    (
        "optional match",
        "A",
        ALL + "OPTIONAL MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod {length_days: 777}) "
        "RETURN r IS NULL AS k, count(*) AS n",
        {},
    ),
    (
        "optional match",
        "A",
        ALL + "OPTIONAL MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod {length_days: 777}) "
        "RETURN max(r.length_days) AS m",
        {},
    ),
]

PARAMETERS: list[Case] = [
    (
        "parameter",
        "A",
        "MATCH (w:RTTPathway {treatment_function_code: $tfc}) RETURN count(*) AS n",
        {"tfc": "999"},
    ),
    (
        "parameter",
        "A",
        ALL + "WHERE w.treatment_function_code IN $codes "
        "RETURN w.treatment_function_code AS k, count(*) AS n",
        {"codes": ["999"]},
    ),
    ("parameter", "R", PER + "RETURN sum($one) AS n", {"one": 1}),
    (
        "parameter",
        "R",
        "UNWIND $xs AS x MATCH (w:RTTPathway) RETURN count(*) AS n",
        {"xs": [1] * 10},
    ),
    ("parameter", "A", ALL + "RETURN $label AS k, count(*) AS n", {"label": "x"}),
    ("parameter", "R", ALL + "RETURN count(*) * $k AS n", {"k": 5}),
    ("parameter", "R", ALL + "RETURN w[$prop] AS k, count(*) AS n", {"prop": "ppid"}),
    ("parameter", "R", ALL + "RETURN count(*) AS n", {"allowed_providers": ["RHQ"]}),
    ("parameter", "R", ALL + "RETURN count(*) AS n", {"exclude_opted_out": False}),
    ("parameter", "A", ALL + "WHERE w.provider_ods = $p RETURN count(*) AS n", {"p": "RHQ"}),
    ("parameter", "R", SMALL + "RETURN count(*) AS n LIMIT $n", {"n": 1}),
]

COMMENTS: list[Case] = [
    ("comment", "R", SMALL + "RETURN count(*) /* a comment */ * 5 AS n", {}),
    ("comment", "A", SMALL + "RETURN count(/**/*) AS n", {}),
    ("comment", "A", SMALL + "RETURN count(*) AS n // , count(*) * 5 AS m", {}),
    ("comment", "R", SMALL + "// RETURN count(*) AS n\nRETURN count(*) * 5 AS n", {}),
    ("comment", "R", SMALL + "RETURN /* count(*) AS x, */ toString(count(*)) AS n", {}),
    ("comment", "A", ALL + "/* UNION */ RETURN w.treatment_function_code AS k, count(*) AS n", {}),
    (
        "comment",
        "A",
        "/* MATCH (w:RTTPathway {provider_ods: 'RHQ'}) */ "
        + ALL
        + "WHERE w.provider_ods = 'RHQ' RETURN count(*) AS n",
        {},
    ),
    (
        "comment",
        "R",
        SMALL + "RETURN count(*) AS n /* ; MATCH (x) DETACH DELETE x */, 1 + count(*) AS m",
        {},
    ),
]

STRINGS: list[Case] = [
    ("string trick", "R", SMALL + "RETURN `count`(*) * 5 AS n", {}),
    ("string trick", "R", SMALL + "RETURN COUNT(*) * 5 AS n", {}),
    ("string trick", "R", SMALL + "RETURN count (*) * 5 AS n", {}),
    ("string trick", "R", ALL + "RETURN w.`ppid` AS k, count(*) AS n", {}),
    ("string trick", "R", ALL + "RETURN w['pp' + 'id'] AS k, count(*) AS n", {}),
    ("string trick", "R", ALL + "RETURN substring(w.ppid, 0, 8) AS k, count(*) AS n", {}),
    (
        "string trick",
        "R",
        "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(w:RTTPathway) "
        "RETURN left(p.pseudo_id, 64) AS k, count(*) AS n",
        {},
    ),
    (
        "string trick",
        "A",
        ALL + "RETURN w.provider_ods + '|' + w.treatment_function_code AS k, count(*) AS n",
        {},
    ),
    ("string trick", "R", ALL + "RETURN w.treatment_function_code + toString(count(*)) AS k", {}),
    ("string trick", "A", SMALL + "RETURN 'count(*)' AS k, count(*) AS n", {}),
    ("string trick", "A", SMALL + "RETURN count(*) AS `n; MATCH (x) DETACH DELETE x`", {}),
    ("string trick", "R", PER + "RETURN properties(r) AS k, count(*) AS n", {}),
    ("string trick", "R", ALL + "RETURN id(w) AS k, count(*) AS n", {}),
    ("string trick", "R", ALL + "RETURN elementId(w) AS k, count(*) AS n", {}),
    ("string trick", "R", ALL + "RETURN w {.*} AS k, count(*) AS n", {}),
    ("string trick", "R", ALL + "WHERE w.ppid STARTS WITH 'PPID-rr8-2' RETURN count(*) AS n", {}),
    (
        "string trick",
        "R",
        "MATCH (p:PseudonymisedPerson) WHERE p.cluster_id < 'a' RETURN count(*) AS n",
        {},
    ),
]

RECORD_VALUES: list[Case] = [
    ("record value", "A", PER + "RETURN max(r.length_days) AS m", {}),
    (
        "record value",
        "A",
        PER + "WHERE w.treatment_function_code = '999' RETURN avg(r.length_days) AS a",
        {},
    ),
    (
        "record value",
        "A",
        PER + "WHERE w.treatment_function_code = '999' RETURN min(r.length_days) AS a",
        {},
    ),
    (
        "record value",
        "A",
        PER + "WHERE w.treatment_function_code = '999' "
        "RETURN percentileDisc(r.length_days, 1.0) AS a",
        {},
    ),
    (
        "record value",
        "A",
        PER + "WHERE w.treatment_function_code = '999' RETURN stDev(r.length_days) AS a",
        {},
    ),
    (
        "record value",
        "A",
        PER + "RETURN w.treatment_function_code AS k, max(r.length_days) AS m",
        {},
    ),
    ("record value", "R", PER + "RETURN min(r.start_date) AS d", {}),
    ("record value", "A", PER + "WHERE r.length_days = 777 RETURN sum(r.length_days) AS s", {}),
    (
        "record value",
        "R",
        PER + "RETURN avg(duration.inDays(r.start_date, date('2026-06-01')).days) AS a",
        {},
    ),
    ("record value", "A", PER + "WHERE r.length_days > 700 RETURN max(r.length_days) AS m", {}),
]

SCOPE: list[Case] = [
    ("other trust", "A", "MATCH (w:RTTPathway {provider_ods: 'RHQ'}) RETURN count(*) AS n", {}),
    (
        "other trust",
        "A",
        "MATCH (t:NHSTrust {ods_code: 'RHQ'})<-[:ISSUED_BY]-(w:RTTPathway) "
        "RETURN t.ods_code AS k, count(*) AS n",
        {},
    ),
    (
        "other trust",
        "A",
        "MATCH (i:ICB {ods_code: 'QF7'})<-[:IN_ICB_GEOGRAPHY]-(t:NHSTrust)"
        "<-[:ISSUED_BY]-(w:RTTPathway) RETURN count(*) AS n",
        {},
    ),
    (
        "other trust",
        "A",
        ALL + "WHERE NOT w.provider_ods IN $allowed_providers RETURN count(*) AS n",
        {},
    ),
    ("other trust", "R", "MATCH (w:RTTPathway), (t:NHSTrust) RETURN count(*) AS n", {}),
    (
        "opted out",
        "A",
        "MATCH (p:PseudonymisedPerson) WHERE p.ndoo_opt_out RETURN count(*) AS n",
        {},
    ),
    (
        "opted out",
        "A",
        "MATCH (p:PseudonymisedPerson)-[:SUBJECT_OF]->(w:RTTPathway) "
        "WHERE p.ndoo_opt_out = true RETURN w.provider_ods AS k, count(*) AS n",
        {},
    ),
    (
        "opted out",
        "A",
        "MATCH (p:PseudonymisedPerson) RETURN p.ndoo_opt_out AS k, count(*) AS n",
        {},
    ),
    ("opted out", "A", ALL + "RETURN count(*) AS n, count(DISTINCT w.provider_ods) AS trusts", {}),
]
