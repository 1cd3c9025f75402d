"""Statistical disclosure control for every aggregate served below national level (pure).

The policy follows NHS England's HES/ECDS methodology: 0 stays 0, counts 1–7 are
suppressed (``None``, shown as ``*``), counts of 8 or more are rounded to the nearest 5.
Percentages are computed from the controlled cells, never from the raw counts, and simple
statistics (mean, median, percentiles) resting on 1–7 values are suppressed too. National
figures are not controlled. Every controlled result carries :func:`policy_info`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class DisclosurePolicy:
    name: str = "nhs-sdc-rounding"
    version: str = "1"
    suppress_max: int = 7  # counts 1..suppress_max are suppressed
    rounding_base: int = 5


POLICY = DisclosurePolicy()


def policy_info(policy: DisclosurePolicy = POLICY) -> dict[str, str]:
    """The name and version to return alongside controlled figures."""
    return {"policy": policy.name, "version": policy.version}


def control_count(
    n: int, *, national: bool = False, policy: DisclosurePolicy = POLICY
) -> int | None:
    """One count: 0 -> 0, 1..7 -> None (suppressed), otherwise the nearest multiple of 5."""
    if n < 0:
        raise ValueError("a count cannot be negative")
    if national or n == 0:
        return n
    if n <= policy.suppress_max:
        return None
    base = policy.rounding_base
    return base * ((n + base // 2) // base)


def control_counts(
    cells: Mapping[str, int], *, national: bool = False, policy: DisclosurePolicy = POLICY
) -> dict[str, int | None]:
    """Each cell of a table controlled on its own (totals are cells too: control them here)."""
    return {k: control_count(v, national=national, policy=policy) for k, v in cells.items()}


def control_percentage(numerator: int | None, denominator: int | None) -> float | None:
    """A percentage from two *controlled* cells; unknown when either is suppressed or 0 total."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(100.0 * numerator / denominator, 1)


def controlled_percentage(
    numerator: int, denominator: int, *, national: bool = False, policy: DisclosurePolicy = POLICY
) -> float | None:
    """Control both raw counts, then compute the percentage from the controlled values."""
    return control_percentage(
        control_count(numerator, national=national, policy=policy),
        control_count(denominator, national=national, policy=policy),
    )


def control_statistic(
    value: float | None, n: int, *, national: bool = False, policy: DisclosurePolicy = POLICY
) -> float | None:
    """A simple statistic (mean, median, percentile) over ``n`` records: hidden if n is 1..7."""
    if value is None:
        return None
    if not national and 1 <= n <= policy.suppress_max:
        return None
    return value
