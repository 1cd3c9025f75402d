"""Red team of analyst Cypher on the real server: every query tries to recover a count of
1-7, a pseudo id, a record-level value, an opted-out person or another trust's record, and
each must be refused or answered with controlled values only (docs/security.md §5).

The rules checked are those of NHS England's disclosure control methodology for HES/ECDS
(counts 1-7 suppressed, others rounded to 5; statistics on 1-7 records suppressed) and of
OpenSAFELY's output checking (nothing describing 7 or fewer records, directly or by
differencing) — /work/shared/reference/domain-fdp.md §4.1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openfdp.store.cypher_guard import looks_like_pseudo_id
from tests.security.conftest import SECRET_DAYS, Ask
from tests.security.leak_queries import (
    ARITHMETIC,
    CASTS,
    LISTS,
    PATTERN_COMPREHENSIONS,
    RE_AGGREGATION,
    SUBQUERIES,
    UNIONS,
    Case,
)
from tests.security.leak_queries_more import (
    COMMENTS,
    OPTIONAL,
    PARAMETERS,
    RECORD_VALUES,
    SCOPE,
    STRINGS,
)

pytestmark = pytest.mark.api

CASES: list[Case] = [
    *ARITHMETIC,
    *CASTS,
    *LISTS,
    *SUBQUERIES,
    *UNIONS,
    *PATTERN_COMPREHENSIONS,
    *RE_AGGREGATION,
    *OPTIONAL,
    *PARAMETERS,
    *COMMENTS,
    *STRINGS,
    *RECORD_VALUES,
    *SCOPE,
]
# what no released value may be or contain: the small group's key, the record-level value,
# another trust, pathway identifiers
FORBIDDEN_TEXT = ("999", str(SECRET_DAYS), "RHQ", "PPID")


def assert_refused_or_controlled(r: Any) -> str:
    """'refused' (400/403 with a message) or 'answered' with controlled values only."""
    assert "Traceback" not in r.text
    if r.status_code in {400, 403}:
        assert r.json()["error"]["message"]
        return "refused"
    assert r.status_code == 200, r.text
    body = r.json()
    types = body["column_types"]
    assert len(types) == len(body["columns"])
    for row in body["rows"]:
        for kind, value in zip(types, row, strict=True):
            assert not isinstance(value, (list, dict)), row
            assert not looks_like_pseudo_id(value), row
            if kind == "count":
                assert value is None or value == 0 or (value >= 10 and value % 5 == 0), row
            elif kind == "statistic":
                assert value is None or isinstance(value, (int, float)), row
                assert value != SECRET_DAYS, row
        text = json.dumps(row)
        assert not any(secret in text for secret in FORBIDDEN_TEXT), row
    return "answered"


def test_the_suite_has_at_least_100_queries() -> None:
    assert len(CASES) >= 100
    assert len({(q, json.dumps(p, sort_keys=True)) for _, _, q, p in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("category", "expected", "query", "params"),
    CASES,
    ids=[f"{i:03d}-{c[0]}" for i, c in enumerate(CASES)],
)
def test_leak_attempt_is_refused_or_controlled(
    ask: Ask, category: str, expected: str, query: str, params: dict[str, Any]
) -> None:
    outcome = assert_refused_or_controlled(ask(query, **params))
    if expected != "*":
        assert outcome == {"R": "refused", "A": "answered"}[expected], (category, query)


def _rows(ask: Ask, query: str) -> dict[str, Any]:
    r = ask(query)
    assert_refused_or_controlled(r)
    body: dict[str, Any] = r.json()
    return body


def test_differencing_total_minus_released_groups_finds_no_small_group(ask: Ask) -> None:
    """Secondary suppression (OpenSAFELY: no statistic describing <= 7 records, directly or
    indirectly; HES methodology 'totals are cells too'): the total over QWO's 16 pathways
    less the released treatment-function groups would give the 3 pathways of '999'; with
    one group withheld, the next smallest is withheld too, so nothing is left to
    subtract."""
    total = _rows(ask, "MATCH (w:RTTPathway) RETURN count(*) AS n")
    assert total["rows"] == [[15]]
    grouped = _rows(
        ask, "MATCH (w:RTTPathway) RETURN w.treatment_function_code AS tfc, count(*) AS n"
    )
    assert grouped["rows"] == []
    assert grouped["suppressed_rows"] == 2


def test_differencing_through_limit_is_still_suppressed(ask: Ask) -> None:
    """LIMIT is applied after suppression: cutting the small group off with LIMIT 1 does not
    release the other group for a subtraction from the total."""
    body = _rows(
        ask,
        "MATCH (w:RTTPathway) RETURN w.treatment_function_code AS tfc, count(*) AS n "
        "ORDER BY n DESC LIMIT 1",
    )
    assert body["rows"] == []
    assert body["suppressed_rows"] == 2


def test_differencing_by_isolating_a_group_in_a_key(ask: Ask) -> None:
    body = _rows(
        ask,
        "MATCH (w:RTTPathway) RETURN CASE WHEN w.treatment_function_code = '999' THEN 'a' "
        "ELSE 'b' END AS k, count(*) AS n",
    )
    assert body["rows"] == []
    assert body["suppressed_rows"] == 2


def test_differencing_across_two_filters_gives_only_rounded_values(ask: Ask) -> None:
    """Total and total-without-'999' are both rounded to 5 (15 and 15 for 16 and 13), so
    their difference does not give the 3 records of '999'."""
    everything = _rows(ask, "MATCH (w:RTTPathway) RETURN count(*) AS n")["rows"][0][0]
    without = _rows(
        ask,
        "MATCH (w:RTTPathway) WHERE w.treatment_function_code <> '999' RETURN count(*) AS n",
    )["rows"][0][0]
    assert everything % 5 == 0
    assert without % 5 == 0
    assert everything - without != 3


def test_a_large_enough_group_is_released_rounded(ask: Ask) -> None:
    """The control keeps what is safe: RAE's 8 visible pathways give a row (10)."""
    body = _rows(
        ask,
        "MATCH (w:RTTPathway) RETURN w.provider_ods + '|' + w.treatment_function_code AS k, "
        "count(*) AS n",
    )
    assert body["rows"] == [["RAE|110", 10]]
    assert body["suppressed_rows"] == 2  # RR8|110 (5) and RR8|999 (3): 8 together


def test_statistics_over_8_or_more_records_are_rounded(ask: Ask) -> None:
    body = _rows(
        ask,
        "MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
        "RETURN avg(r.length_days) AS a, max(r.length_days) AS m",
    )
    [[mean, top]] = body["rows"]
    assert top == 780  # 777 to 2 significant figures: the record's value is not released
    assert mean == float(f"{mean:.3g}")


def test_nothing_was_written(leak_graph: Any) -> None:
    n = leak_graph.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    m = leak_graph.execute_query("MATCH (w:RTTPathway) RETURN count(w) AS n").records[0]["n"]
    assert m == 22
    assert n > 22
