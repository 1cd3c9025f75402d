"""Output control of analyst Cypher results (pure): typed columns, hidden counts, row and
secondary suppression, rounding. The rules (docs/security.md §5):

1. **Records behind a row.** ``h`` = the smallest of the row's ``count(*)`` and, for every
   record-level variable of the query, its ``count(DISTINCT v)`` when that is not 0 (an
   ``OPTIONAL MATCH`` that found nothing contributes no records). These hidden counts are
   added to the analyst's RETURN by :mod:`openfdp.store.cypher_shape` and never
   released.
2. **Row suppression.** A row with ``1 <= h <= 7`` is withheld entirely (keys included);
   the response says how many rows were (``suppressed_rows``). A result without grouping
   keys is one row: it is kept with every value ``None``.
3. **Secondary suppression.** When rows were withheld and either only one was or together
   they hold fewer than 8 records, the released row with the fewest records is withheld
   too, repeated until at least two rows holding at least 8 records together are withheld
   (or every row is). So a total from another query minus the released rows never gives
   one small group, nor several groups that together are small.
4. **Counts** go through :func:`openfdp.services.disclosure.control_count` (0 stays 0,
   1–7 suppressed, else rounded to the nearest 5).
5. **Statistics** are released only when at least 8 non-null values contributed in the
   row (``count(measure)``; so ``min``/``max`` over fewer are suppressed too) and are
   rounded: sums, means and standard deviations to 3 significant figures; ``min``, ``max``
   and percentiles, which are the value of one record, to 2. A non-numeric statistic is
   refused.
6. **Keys** must be single values (text, number, boolean, date); lists and maps are refused.
7. **SKIP / LIMIT** of the final RETURN are applied here, after suppression, so rows they
   leave out still take part in rule 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from openfdp.services.disclosure import POLICY, DisclosurePolicy, control_count
from openfdp.store.cypher_guard import CypherRefused
from openfdp.store.cypher_shape import HIDDEN_PREFIX, Column, Shape

SIGNIFICANT_FIGURES = 3
# min, max and percentiles are the value of one record: coarser
RECORD_VALUE_FIGURES = 2
RECORD_VALUE_STATISTICS = frozenset({"min", "max", "percentilecont", "percentiledisc"})


@dataclass
class Controlled:
    rows: list[list[Any]]
    suppressed_rows: int


def round_significant(value: float, figures: int = SIGNIFICANT_FIGURES) -> float | int:
    """``value`` to ``figures`` significant figures (an int stays an int)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = figures - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, digits)
    return int(rounded) if isinstance(value, int) else float(rounded)


def _records(hidden: dict[str, Any]) -> int:
    rows = int(hidden[f"{HIDDEN_PREFIX}rows"])
    distinct = [
        int(v) for k, v in hidden.items() if k.startswith(f"{HIDDEN_PREFIX}d_") and int(v) > 0
    ]
    return min([rows, *distinct])


def _check_key(name: str, value: Any) -> None:
    if isinstance(value, (list, dict)):
        raise CypherRefused(
            f"column {name!r} is a list or map; a grouping key must be one value (a property, "
            "a literal or a function of them), with count(*) or a statistic beside it"
        )


def _statistic(column: Column, value: Any, n: int, policy: DisclosurePolicy) -> Any:
    name = column.name
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CypherRefused(
            f"statistic {name!r} is not a number; statistics are released for numeric "
            "measures only (for dates use duration.inDays(a, b).days)"
        )
    if n <= policy.suppress_max:
        return None
    if column.function in RECORD_VALUE_STATISTICS:
        return round_significant(value, RECORD_VALUE_FIGURES)
    return round_significant(value)


def _secondary(records: list[int], withheld: list[bool], policy: DisclosurePolicy) -> None:
    """Rule 3, in place."""
    while True:
        held = [r for r, w in zip(records, withheld, strict=True) if w]
        released = [i for i, w in enumerate(withheld) if not w]
        if not held or not released:
            return
        if len(held) >= 2 and sum(held) > policy.suppress_max:
            return
        smallest = min(released, key=lambda i: records[i])
        withheld[smallest] = True


def control_result(
    shape: Shape,
    columns: list[str],
    rows: list[list[Any]],
    policy: DisclosurePolicy = POLICY,
) -> Controlled:
    """The analyst's columns of ``rows``, controlled by the rules above."""
    width = len(shape.columns)
    if columns[width:] != shape.hidden:
        raise CypherRefused("the result columns do not match the query's RETURN")
    hidden_rows = [dict(zip(shape.hidden, row[width:], strict=True)) for row in rows]
    records = [_records(h) for h in hidden_rows]
    withheld = [1 <= r <= policy.suppress_max for r in records]
    if shape.has_keys:
        _secondary(records, withheld, policy)
    out: list[list[Any]] = []
    for row, hidden, held in zip(rows, hidden_rows, withheld, strict=True):
        values: list[Any] = []
        for index, column in enumerate(shape.columns):
            value = row[index]
            if column.kind == "key":
                _check_key(column.name, value)
                values.append(value)
            elif column.kind == "count":
                values.append(None if held else control_count(int(value), policy=policy))
            else:
                n = int(hidden[shape.statistic_counts[index]])
                stat = _statistic(column, value, n, policy)
                values.append(None if held else stat)
        if not held:
            out.append(values)
        elif not shape.has_keys:
            out.append([None] * width)
    end = None if shape.limit is None else shape.skip + shape.limit
    return Controlled(out[shape.skip : end], sum(withheld))
