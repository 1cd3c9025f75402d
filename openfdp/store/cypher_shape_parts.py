"""Clause-level reading of an analyst query's tokens (comments and whitespace removed), for
:mod:`openfdp.store.cypher_shape`: top-level clauses, the items of ``WITH`` and
``RETURN``, node patterns of a ``MATCH``, and the forms refused wherever they appear."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from openfdp.store.cypher_patterns import KEYWORDS, NodePattern, node_pattern, opens_pattern
from openfdp.store.cypher_tokens import ScopeRefused, Token

_CLAUSES = frozenset({"match", "optional", "with", "return", "unwind", "union", "call"})
_SUB_CLAUSES = frozenset({"where", "order", "skip", "limit"})
_ID_FUNCTIONS = frozenset({"id", "elementid", "properties"})
ANONYMOUS_PREFIX = "openfdp_rec_"


@dataclass(frozen=True)
class Clause:
    keyword: str  # match (incl. OPTIONAL MATCH) | with | return | unwind | union | call
    start: int  # token index of the keyword
    end: int  # token index after the clause
    items_end: int  # token index after the projection items / the pattern part


def _depths(tokens: list[Token]) -> list[int]:
    """Bracket depth before each token."""
    depth, out = 0, []
    for t in tokens:
        if t.text in {")", "]", "}"}:
            depth -= 1
        out.append(depth)
        if t.text in {"(", "[", "{"}:
            depth += 1
    return out


def _keyword(tokens: list[Token], i: int) -> str:
    t = tokens[i]
    if t.kind != "name":
        return ""
    word = t.text.lower()
    if word == "with" and i > 0 and tokens[i - 1].text.lower() in {"starts", "ends"}:
        return ""
    if word == "match" and i > 0 and tokens[i - 1].text.lower() == "optional":
        return ""
    return word


def clauses(tokens: list[Token]) -> list[Clause]:
    """Top-level clauses in order (``OPTIONAL MATCH`` is a ``match`` clause)."""
    depths = _depths(tokens)
    starts = [i for i in range(len(tokens)) if depths[i] == 0 and _keyword(tokens, i) in _CLAUSES]
    found = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(tokens)
        keyword = _keyword(tokens, start)
        if keyword == "optional":
            keyword = "match"
        if keyword == "call":
            nxt = tokens[start + 1] if start + 1 < len(tokens) else None
            if nxt is not None and nxt.text in {"{", "("}:
                raise ScopeRefused(
                    "CALL { } subqueries are not allowed in analyst queries: match the "
                    "pattern in the main query, or test it with WHERE EXISTS { MATCH … }"
                )
        items_end = end
        for i in range(start + 1, end):
            if depths[i] == 0 and _keyword(tokens, i) in _SUB_CLAUSES:
                items_end = i
                break
        found.append(Clause(keyword, start, end, items_end))
    return found


def items_of(tokens: list[Token], clause: Clause) -> tuple[list[tuple[list[Token], str]], bool]:
    """The projection items of a WITH or RETURN: (expression tokens, column name), and
    whether it says DISTINCT."""
    body = tokens[clause.start + 1 : clause.items_end]
    distinct = bool(body) and body[0].text.lower() == "distinct"
    if distinct:
        body = body[1:]
    items: list[tuple[list[Token], str]] = []
    depth, current = 0, list[Token]()
    for t in [*body, None]:
        if t is None or (depth == 0 and t.text == ","):
            if current:
                items.append(_named(current))
            current = []
            continue
        depth += t.text in {"(", "[", "{"}
        depth -= t.text in {")", "]", "}"}
        current.append(t)
    return items, distinct


def _named(item: list[Token]) -> tuple[list[Token], str]:
    if len(item) >= 3 and item[-2].text.lower() == "as":
        alias = item[-1].text
        return item[:-2], alias[1:-1] if alias.startswith("`") else alias
    return item, " ".join(t.text for t in item)


def node_patterns(tokens: list[Token], clause: Clause) -> list[NodePattern]:
    """The node patterns of a MATCH clause's pattern part (before its WHERE)."""
    code = list(range(len(tokens)))
    depths = _depths(tokens)
    found = []
    for position in range(clause.start + 1, clause.items_end):
        if tokens[position].text != "(" or depths[position] != 0:
            continue
        if not opens_pattern(tokens, code, position):
            continue
        node = node_pattern(tokens, code, position)
        if node is not None:
            found.append(node)
    return found


def refuse_everywhere(tokens: list[Token], identifiers: Collection[str]) -> None:
    """Person-record identifiers, internal ids, whole property maps and dynamic property
    access are refused wherever they appear (keys, filters, subqueries)."""
    for i, t in enumerate(tokens):
        before = tokens[i - 1] if i > 0 else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        name = t.text.strip("`").lower() if t.kind in {"name", "quoted"} else ""
        if before is not None and before.text == "." and name in identifiers:
            raise ScopeRefused(
                f"the identifier {t.text!r} cannot be used in analyst queries (in results or "
                "filters): analysts count records, they do not pick them out"
            )
        if name in _ID_FUNCTIONS and after is not None and after.text == "(":
            raise ScopeRefused(
                f"{t.text}() is not allowed in analyst queries: it exposes internal ids or "
                "every property of a record; name the property you need"
            )
        if (
            t.text == "["
            and before is not None
            and (
                (before.kind in {"name", "quoted", "param"} and before.text.lower() not in KEYWORDS)
                or before.text in {")", "]", "}"}
            )
        ):
            close = i + 1
            depth = 1
            while close < len(tokens) and depth:
                depth += tokens[close].text in {"(", "[", "{"}
                depth -= tokens[close].text in {")", "]", "}"}
                close += 1
            if any(x.kind not in {"number", "punct"} for x in tokens[i + 1 : close - 1]):
                raise ScopeRefused(
                    "subscripts other than literal positions (x[0], x[1..3]) are not allowed: "
                    "write the property name (r.length_days), not r['length_days'] or "
                    "list[$i]"
                )


def word(t: Token) -> str:
    """A name token's lower-case text, backticks removed (`` `count` `` is ``count``)."""
    return t.text.strip("`").lower() if t.kind in {"name", "quoted"} else ""


def paging(tokens: list[Token], final: Clause) -> tuple[int, int | None, tuple[int, int] | None]:
    """The final RETURN's literal SKIP and LIMIT, and the text span holding them: they are
    applied by the gateway after suppression, so a row cut off by LIMIT still counts in
    secondary suppression."""
    skip, limit, first = 0, None, None
    i = final.items_end
    while i < final.end:
        keyword = word(tokens[i])
        if keyword in {"skip", "offset", "limit"}:
            value = tokens[i + 1] if i + 1 < final.end else None
            if value is None or value.kind != "number" or not value.text.isdigit():
                raise ScopeRefused(f"write {tokens[i].text} with a whole number, e.g. LIMIT 10")
            if keyword == "limit":
                limit = int(value.text)
            else:
                skip = int(value.text)
            first = i if first is None else first
            i += 2
            continue
        if first is not None:
            raise ScopeRefused("SKIP and LIMIT must come last in the final RETURN")
        i += 1
    if first is None:
        return skip, limit, None
    return skip, limit, (tokens[first].start, tokens[final.end - 1].end)


def carry_record_variables(
    tokens: list[Token], parts: list[Clause], labels: set[str], inserts: list[tuple[int, str]]
) -> list[str]:
    """Record-level node variables in scope at the final RETURN (anonymous ones named);
    every WITH is made to carry them."""
    counter = 0
    bound: list[str] = []
    for clause in parts:
        if clause.keyword == "match":
            for node in node_patterns(tokens, clause):
                if node.label is None or node.label.strip("`") not in labels:
                    continue
                variable = node.variable
                if variable is None:
                    counter += 1
                    variable = f"{ANONYMOUS_PREFIX}{counter}"
                    inserts.append((tokens[node.open_index].end, variable))
                if variable not in bound:
                    bound.append(variable)
        elif clause.keyword == "with":
            items, distinct = items_of(tokens, clause)
            if distinct:
                raise ScopeRefused(
                    "WITH DISTINCT is not allowed: count distinct values in the RETURN with "
                    "count(DISTINCT x)"
                )
            if any(name == "*" for _, name in items):
                continue
            carried = {name for item, name in items if len(item) == 1 and item[0].text == name}
            missing = [v for v in bound if v not in carried]
            if missing:
                inserts.append((tokens[clause.items_end - 1].end, ", " + ", ".join(missing)))
        elif clause.keyword == "unwind":
            body = tokens[clause.start + 1 : clause.end]
            ok = (
                len(body) == 5
                and body[0].kind == "name"
                and body[1].text == "."
                and body[3].text.lower() == "as"
            )
            if not ok:
                raise ScopeRefused(
                    "UNWIND only a list property of a record (UNWIND r.data_quality_flags AS "
                    "f): unwinding literals, ranges or parameters repeats rows; to filter by "
                    "several values write WHERE x IN $values"
                )
    return bound
