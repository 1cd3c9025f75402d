"""Typed outputs for analyst Cypher: what each returned column is, checked from the text.

An analyst query must end in one ``RETURN`` whose columns are each one of

- a **grouping key**: an expression without aggregation (``w.treatment_function_code``,
  ``'all'``, ``toString(p.year_of_birth)``) — the rows are grouped by the keys;
- a **count**: exactly ``count(*)``, ``count(x)`` or ``count(DISTINCT x)``;
- a **statistic**: exactly ``sum``, ``avg``, ``min``, ``max``, ``stDev``, ``stDevP``,
  ``percentileCont`` or ``percentileDisc`` of one *measure* — a property
  (``r.length_days``) or a date difference (``duration.inDays(a.x, b.y).days``), never a
  literal, arithmetic or a condition.

Anything else is refused with a message saying what to write instead: arithmetic on or
casts of aggregates, ``collect()``, ``size(collect(…))``, ``CASE`` over aggregates, nested
aggregates, ``COUNT {}``/``COLLECT {}`` as a column, aggregation before the final
``RETURN`` (``WITH`` re-aggregation, ``CALL {}`` subqueries), ``UNION``, ``WITH DISTINCT``,
``UNWIND`` of anything but a list property, person-record identifiers
(:data:`IDENTIFIER_PROPERTIES`) and functions returning internal ids or whole property maps.

:func:`shape_query` also rewrites the query so the gateway can control what comes back:
anonymous record-level nodes get a variable, every ``WITH`` carries the record-level
variables matched before it, and the final ``RETURN`` gets hidden columns — ``count(*)``,
``count(DISTINCT v)`` for every record-level variable and ``count(measure)`` for every
statistic — appended after the analyst's own (same grouping, so the same rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass, field

from openfdp.store.cypher_shape_parts import (
    Clause,
    carry_record_variables,
    clauses,
    items_of,
    paging,
    refuse_everywhere,
    word,
)
from openfdp.store.cypher_tokens import ScopeRefused, Token, tokenize

HIDDEN_PREFIX = "openfdp_hidden_"
IDENTIFIER_PROPERTIES = frozenset(
    {
        "pseudo_id",
        "cluster_id",
        "ppid",
        "referral_id",
        "period_id",
        "event_id",
        "entry_id",
        "encounter_id",
        "appointment_id",
        "procedure_id",
        "diagnosis_id",
        "booking_id",
        "source_record_id",
        "task_id",
        "staff_id",
    }
)
AGGREGATES = frozenset(
    {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "collect",
        "stdev",
        "stdevp",
        "percentilecont",
        "percentiledisc",
    }
)
STATISTICS = AGGREGATES - {"count", "collect"}
_MEASURE_FUNCTIONS = frozenset({"duration", "indays", "inmonths", "inseconds", "between"})
_INSTEAD = (
    "return each aggregate as its own column — count(*), count(DISTINCT x), or sum/avg/min/"
    "max/stDev/percentileCont of one property — and do arithmetic, rounding or formatting "
    "on the released values yourself"
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # key | count | statistic
    function: str = ""  # the statistic's function (lower case)


@dataclass
class Shape:
    """The rewritten query, the analyst's columns and the hidden ones after them."""

    query: str
    columns: list[Column]
    record_variables: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)  # hidden column names, in order
    statistic_counts: dict[int, str] = field(default_factory=dict)  # column index -> hidden n
    skip: int = 0  # the final RETURN's SKIP and LIMIT, applied after suppression
    limit: int | None = None

    @property
    def has_keys(self) -> bool:
        return any(c.kind == "key" for c in self.columns)


def _is_call(tokens: list[Token], i: int, names: Collection[str]) -> bool:
    t = tokens[i]
    return (
        word(t) in names
        and i + 1 < len(tokens)
        and tokens[i + 1].text == "("
        and (i == 0 or tokens[i - 1].text != ".")
    )


def _matching(tokens: list[Token], i: int) -> int:
    """Index of the bracket closing the one opened at ``i``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text in {"(", "[", "{"}:
            depth += 1
        elif tokens[j].text in {")", "]", "}"}:
            depth -= 1
            if depth == 0:
                return j
    raise ScopeRefused("a bracket is not closed")


def _measure(tokens: list[Token], variables: Collection[str]) -> None:
    """A statistic's argument: properties of matched records, date differences and their
    ``.days``; no literals, parameters, operators, conditions, other functions or values
    computed earlier in the query."""
    if not tokens:
        raise ScopeRefused("a statistic needs one measure, e.g. avg(r.length_days)")
    for i, t in enumerate(tokens):
        before = tokens[i - 1].text if i > 0 else ""
        after = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if t.text in {".", "(", ")", ","}:
            continue
        if t.kind in {"name", "quoted"} and before == ".":
            continue  # a property or a duration field
        if t.kind in {"name", "quoted"} and after == "(" and word(t) in _MEASURE_FUNCTIONS:
            continue
        named = t.kind in {"name", "quoted"} and after == "."
        if named and (word(t) == "duration" or t.text in variables):
            continue
        raise ScopeRefused(
            f"a statistic is computed over one measure — a property of a matched record such "
            f"as avg(r.length_days), or a date difference such as "
            f"avg(duration.inDays(r.start_date, r.end_date).days) — not over {t.text!r} "
            f"(literals, parameters, arithmetic, conditions, other functions or values "
            f"computed in WITH); to count a subset, use count(*) with a WHERE"
        )


def classify(item: list[Token], name: str, variables: Collection[str] = ()) -> Column:
    """The type of one RETURN item (its tokens without ``AS alias``)."""
    calls = [i for i in range(len(item)) if _is_call(item, i, AGGREGATES)]
    subquery_count = any(
        word(t) in {"count", "collect"} and nxt.text == "{" for t, nxt in itertools.pairwise(item)
    )
    if subquery_count:
        raise ScopeRefused(
            f"column {name!r}: COUNT {{ }} or COLLECT {{ }} gives a count or a list per row, "
            "which is not disclosure-controlled; use it in WHERE, or match the pattern and "
            "return count(*)"
        )
    if not calls:
        return Column(name, "key")
    if any(word(item[i]) == "collect" for i in calls):
        raise ScopeRefused(
            f"column {name!r}: collect() returns record-level values; return the value as a "
            "grouping key with count(*) beside it (e.g. RETURN r.status AS status, count(*) "
            "AS n), so small groups are suppressed"
        )
    first = calls[0]
    fn = word(item[first])
    close = _matching(item, first + 1)
    if first != 0 or close != len(item) - 1 or len(calls) > 1:
        raise ScopeRefused(
            f"column {name!r} is not a plain grouping key, count or statistic: {_INSTEAD}"
        )
    inner = item[2:close]
    if inner and inner[0].text.lower() == "distinct":
        inner = inner[1:]
    if fn == "count":
        return Column(name, "count")
    if fn.startswith("percentile"):
        comma = max((i for i, t in enumerate(inner) if t.text == ","), default=-1)
        if comma < 0 or len(inner) != comma + 2 or inner[-1].kind != "number":
            raise ScopeRefused(
                f"column {name!r}: write {item[0].text}(measure, 0.5) with a literal percentile"
            )
        inner = inner[:comma]
    _measure(inner, variables)
    return Column(name, "statistic", fn)


def shape_query(query: str, record_labels: Collection[str]) -> Shape:
    """Check the query's shape and rewrite it for output control (see the module doc)."""
    tokens = [t for t in tokenize(query) if t.kind not in {"ws", "comment"}]
    refuse_everywhere(tokens, IDENTIFIER_PROPERTIES)
    parts = clauses(tokens)
    final = _final_return(parts)
    for i in range(len(tokens)):
        if _is_call(tokens, i, AGGREGATES) and not (final.start <= i < final.end):
            raise ScopeRefused(
                f"{tokens[i].text}() may only be used in the final RETURN: aggregation in "
                "WITH or in a subquery (re-aggregation) is not allowed; group once, in the "
                "RETURN, and filter records with WHERE"
            )
    inserts: list[tuple[int, str]] = []
    variables = carry_record_variables(tokens, parts, set(record_labels), inserts)
    items, distinct = items_of(tokens, final)
    if not items:
        raise ScopeRefused("the final RETURN has no columns")
    columns: list[Column] = []
    for item_tokens, name in items:
        if name == "*":
            raise ScopeRefused("name each column instead of RETURN *")
        columns.append(classify(item_tokens, name, variables))
    if not any(c.kind != "key" for c in columns):
        raise ScopeRefused(
            "planning and research analysts receive aggregates only: return count(*) or a "
            "statistic beside the grouping keys (results are disclosure-controlled)"
        )
    hidden = [f"count(*) AS {HIDDEN_PREFIX}rows"]
    names = [f"{HIDDEN_PREFIX}rows"]
    for v in variables:
        names.append(f"{HIDDEN_PREFIX}d_{v}")
        hidden.append(f"count(DISTINCT {v}) AS {names[-1]}")
    statistic_counts: dict[int, str] = {}
    for index, ((item_tokens, _), column) in enumerate(zip(items, columns, strict=True)):
        if column.kind != "statistic":
            continue
        arg = _statistic_argument(query, item_tokens)
        names.append(f"{HIDDEN_PREFIX}n_{index}")
        hidden.append(f"count({arg}) AS {names[-1]}")
        statistic_counts[index] = names[-1]
    del distinct
    inserts.append((tokens[final.items_end - 1].end, ", " + ", ".join(hidden)))
    skip, limit, cut = paging(tokens, final)
    text = query
    for offset, inserted in sorted(inserts, reverse=True):
        if cut is not None and offset >= cut[0]:
            raise ScopeRefused("SKIP and LIMIT must come last in the final RETURN")
        text = text[:offset] + inserted + text[offset:]
    if cut is not None:
        shift = sum(len(x) for _, x in inserts)
        text = text[: cut[0] + shift] + text[cut[1] + shift :]
    return Shape(text, columns, variables, names, statistic_counts, skip, limit)


def _final_return(parts: list[Clause]) -> Clause:
    top = [c for c in parts if c.keyword in {"return", "union"}]
    if any(c.keyword == "union" for c in top):
        raise ScopeRefused("UNION is not allowed: run each part as its own query")
    if not parts or parts[-1].keyword != "return":
        raise ScopeRefused("an analyst query must end with one RETURN of keys and aggregates")
    return parts[-1]


def _statistic_argument(query: str, item: list[Token]) -> str:
    close = _matching(item, 1)
    inner = item[2:close]
    if inner and inner[0].text.lower() == "distinct":
        inner = inner[1:]
    if word(item[0]).startswith("percentile"):
        comma = max(i for i, t in enumerate(inner) if t.text == ",")
        inner = inner[:comma]
    return query[inner[0].start : inner[-1].end]
