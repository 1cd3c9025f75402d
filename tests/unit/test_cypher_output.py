"""Typed outputs and output control of analyst Cypher (pure): the rules of docs/security.md
§5, after NHS England's HES/ECDS disclosure control methodology (1-7 suppressed, rounded to
5) and OpenSAFELY output checking (no statistic describing 7 or fewer records, directly or
through a total) — domain-fdp.md §4.1."""

from __future__ import annotations

from typing import Any

import pytest

from openfdp.services.cypher_control import control_result, round_significant
from openfdp.store.cypher_guard import CypherRefused
from openfdp.store.cypher_shape import Shape, shape_query
from openfdp.store.cypher_tokens import ScopeRefused

pytestmark = pytest.mark.unit
LABELS = {"RTTPathway", "RTTPeriod", "PseudonymisedPerson"}


def test_columns_are_typed_and_hidden_counts_added() -> None:
    shape = shape_query(
        "MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
        "RETURN w.provider_ods AS t, count(*) AS n, avg(r.length_days) AS a",
        LABELS,
    )
    assert [(c.name, c.kind) for c in shape.columns] == [
        ("t", "key"),
        ("n", "count"),
        ("a", "statistic"),
    ]
    assert shape.hidden == [
        "openfdp_hidden_rows",
        "openfdp_hidden_d_w",
        "openfdp_hidden_d_r",
        "openfdp_hidden_n_2",
    ]
    assert "count(r.length_days) AS openfdp_hidden_n_2" in shape.query


def test_anonymous_record_nodes_are_named_and_with_carries_them() -> None:
    shape = shape_query(
        "MATCH (t:NHSTrust)<-[:ISSUED_BY]-(:RTTPathway) WITH t.ods_code AS k "
        "RETURN k, count(*) AS n",
        LABELS,
    )
    assert "(openfdp_rec_1:RTTPathway)" in shape.query
    assert "WITH t.ods_code AS k, openfdp_rec_1 RETURN" in shape.query
    assert shape.record_variables == ["openfdp_rec_1"]


def test_skip_and_limit_are_taken_out_of_the_query() -> None:
    shape = shape_query(
        "MATCH (w:RTTPathway) RETURN w.provider_ods AS t, count(*) AS n ORDER BY n SKIP 1 LIMIT 2",
        LABELS,
    )
    assert (shape.skip, shape.limit) == (1, 2)
    assert "LIMIT" not in shape.query
    assert shape.query.rstrip().endswith("ORDER BY n")


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("MATCH (w:RTTPathway) RETURN count(*) * 5 AS n", "not a plain grouping key"),
        ("MATCH (w:RTTPathway) RETURN toString(count(*)) AS n", "not a plain grouping key"),
        ("MATCH (w:RTTPathway) RETURN sum(1.0) AS n", "one measure"),
        ("MATCH (w:RTTPathway) RETURN collect(w.provider_ods) AS n", "collect()"),
        ("MATCH (w:RTTPathway) RETURN size(collect(w)) AS n", "collect()"),
        (
            "MATCH (w:RTTPathway) RETURN CASE WHEN count(*) > 3 THEN 1 END AS n",
            "not a plain grouping key",
        ),
        ("MATCH (w:RTTPathway) RETURN max(count(*)) AS n", "not a plain grouping key"),
        ("MATCH (w:RTTPathway) WITH count(*) AS c RETURN c, count(*) AS n", "final RETURN"),
        ("MATCH (w:RTTPathway) RETURN w.provider_ods AS t", "aggregates only"),
        ("MATCH (w:RTTPathway) RETURN count(*) AS n UNION RETURN 1 AS n", "UNION"),
        ("UNWIND range(1, 9) AS x MATCH (w:RTTPathway) RETURN count(*) AS n", "UNWIND"),
        ("MATCH (w:RTTPathway) WITH DISTINCT w RETURN count(*) AS n", "WITH DISTINCT"),
        ("MATCH (w:RTTPathway) RETURN w.ppid AS k, count(*) AS n", "identifier"),
        ("MATCH (w:RTTPathway) RETURN id(w) AS k, count(*) AS n", "id()"),
        ("CALL () { MATCH (w:RTTPathway) RETURN w } RETURN count(*) AS n", "CALL { }"),
        ("MATCH (w:RTTPathway) RETURN `count`(*) + 1 AS n", "not a plain grouping key"),
        ("MATCH (w:RTTPathway) RETURN * ", "RETURN *"),
    ],
)
def test_untyped_outputs_are_refused_with_what_to_write(query: str, says: str) -> None:
    with pytest.raises(ScopeRefused) as caught:
        shape_query(query, LABELS)
    assert says in str(caught.value)


def test_round_significant() -> None:
    assert round_significant(123.456) == 123.0
    assert round_significant(0.012345) == 0.0123
    assert round_significant(777, 2) == 780
    assert isinstance(round_significant(777, 2), int)
    assert round_significant(0) == 0


def _shape(query: str) -> Shape:
    return shape_query(query, LABELS)


def _rows(*rows: tuple[Any, ...]) -> list[list[Any]]:
    return [list(r) for r in rows]


GROUPED = "MATCH (w:RTTPathway) RETURN w.provider_ods AS t, count(*) AS n"
COLUMNS = ["t", "n", "openfdp_hidden_rows", "openfdp_hidden_d_w"]


def test_a_group_of_1_to_7_records_is_withheld_as_a_whole_row() -> None:
    out = control_result(
        _shape(GROUPED),
        COLUMNS,
        _rows(("A", 40, 40, 40), ("B", 30, 30, 30), ("C", 9, 9, 3), ("D", 5, 5, 5)),
    )
    # C has 9 rows but only 3 distinct pathways: withheld, as is D (5)
    assert out.rows == [["A", 40], ["B", 30]]
    assert out.suppressed_rows == 2


def test_secondary_suppression_when_one_row_is_withheld() -> None:
    """A total minus the released rows would give the one withheld group: the next smallest
    row is withheld too."""
    out = control_result(
        _shape(GROUPED), COLUMNS, _rows(("A", 40, 40, 40), ("B", 12, 12, 12), ("C", 3, 3, 3))
    )
    assert out.rows == [["A", 40]]
    assert out.suppressed_rows == 2


def test_secondary_suppression_until_the_withheld_rows_hold_8_records() -> None:
    out = control_result(
        _shape(GROUPED),
        COLUMNS,
        _rows(("A", 40, 40, 40), ("B", 20, 20, 20), ("C", 2, 2, 2), ("D", 3, 3, 3)),
    )
    assert out.rows == [["A", 40]]
    assert out.suppressed_rows == 3


def test_a_result_without_keys_keeps_its_row_with_nothing_in_it() -> None:
    shape = _shape("MATCH (w:RTTPathway) RETURN count(*) AS n")
    out = control_result(shape, ["n", "openfdp_hidden_rows", "openfdp_hidden_d_w"], [[4, 4, 4]])
    assert out.rows == [[None]]
    assert out.suppressed_rows == 1
    zero = control_result(shape, ["n", "openfdp_hidden_rows", "openfdp_hidden_d_w"], [[0, 0, 0]])
    assert zero.rows == [[0]]


def test_statistics_need_8_values_and_are_rounded() -> None:
    shape = _shape(
        "MATCH (w:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
        "RETURN w.provider_ods AS t, avg(r.length_days) AS a, max(r.length_days) AS m"
    )
    cols = ["t", "a", "m", *shape.hidden]
    out = control_result(
        shape,
        cols,
        _rows(("A", 123.456, 777, 20, 20, 20, 7, 20), ("B", 99.99, 150, 20, 20, 20, 20, 20)),
    )
    # A: only 7 values behind its mean -> suppressed; max rests on 20 -> 2 s.f.
    assert out.rows == [["A", None, 780], ["B", 100.0, 150]]


def test_list_keys_and_non_numeric_statistics_are_refused() -> None:
    with pytest.raises(CypherRefused, match="list or map"):
        control_result(_shape(GROUPED), COLUMNS, _rows((["A"], 10, 10, 10)))
    shape = _shape("MATCH (r:RTTPeriod) RETURN min(r.start_date) AS d")
    with pytest.raises(CypherRefused, match="not a number"):
        control_result(shape, ["d", *shape.hidden], [["2026-01-01", 20, 20, 20]])


def test_limit_applies_after_suppression() -> None:
    shape = _shape(GROUPED + " ORDER BY n DESC LIMIT 1")
    out = control_result(shape, COLUMNS, _rows(("A", 12, 12, 12), ("B", 3, 3, 3)))
    assert out.rows == []
    assert out.suppressed_rows == 2
