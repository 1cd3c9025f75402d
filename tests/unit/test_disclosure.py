"""Disclosure control: the HES/ECDS rule at its boundaries."""

from __future__ import annotations

import pytest

from openfdp.services.disclosure import (
    POLICY,
    DisclosurePolicy,
    control_count,
    control_counts,
    control_percentage,
    control_statistic,
    controlled_percentage,
    policy_info,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (0, 0),
        (1, None),
        (2, None),
        (7, None),
        (8, 10),
        (10, 10),
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (22, 20),
        (23, 25),
        (100, 100),
        (1002, 1000),
        (1003, 1005),
    ],
)
def test_counts_are_suppressed_or_rounded(raw: int, shown: int | None) -> None:
    assert control_count(raw) == shown


def test_national_counts_are_not_controlled() -> None:
    assert control_count(3, national=True) == 3
    assert control_count(12, national=True) == 12


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        control_count(-1)


def test_percentages_come_from_controlled_cells() -> None:
    # 13 of 22: controlled 15 of 20 -> 75.0, not 59.1
    assert controlled_percentage(13, 22) == 75.0
    assert control_percentage(15, 20) == 75.0
    assert controlled_percentage(5, 40) is None  # numerator suppressed
    assert controlled_percentage(0, 40) == 0.0
    assert controlled_percentage(0, 0) is None
    assert control_percentage(None, 20) is None


def test_tables_and_totals() -> None:
    cells = {"a": 3, "b": 12, "total": 15}
    assert control_counts(cells) == {"a": None, "b": 10, "total": 15}


def test_simple_statistics_on_few_records_are_hidden() -> None:
    assert control_statistic(42.5, 5) is None
    assert control_statistic(42.5, 8) == 42.5
    assert control_statistic(42.5, 0) == 42.5
    assert control_statistic(None, 100) is None


def test_policy_is_named_and_versioned() -> None:
    assert policy_info() == {"policy": "nhs-sdc-rounding", "version": "1"}
    stricter = DisclosurePolicy(name="threshold-10", version="2", suppress_max=9)
    assert control_count(9, policy=stricter) is None
    assert control_count(9, policy=POLICY) == 10
    assert policy_info(stricter) == {"policy": "threshold-10", "version": "2"}
