"""Row-level scope for analyst Cypher: every node pattern of a scoped label gets a predicate.

Neo4j Community has no per-label security, so the scope is written into the query itself.
The query is tokenised (strings, comments and quoted names are understood, never
rewritten) and every node pattern is inspected:

- each node pattern must name exactly one plain label — ``(p:RTTPathway)``; a node without a
  label could be any node, so ``(p)``, ``()`` and label expressions (``:A|B``, ``:!A``,
  ``:%``, ``IS``, dynamic labels) are refused with a message saying how to write it;
- a node pattern whose label has a scope predicate gets it as an inline ``WHERE``:
  ``(p:RTTPathway {…} WHERE cond)`` becomes
  ``(p:RTTPathway {…} WHERE (<scope of p>) AND (cond))`` (a variable is added when the
  pattern has none);
- the constructs that reach nodes without a node pattern are refused: variable-length
  relationships (``*``), quantified path patterns (``{1,3}``, ``+`` after a relationship,
  parenthesised path patterns), shortest paths, and the functions ``nodes``,
  ``startNode`` and ``endNode``.

So every node a query can read is bound by a labelled node pattern, and every node of a
scoped label by a pattern carrying its predicate: the scope restricts rather than merely
being mentioned. What the predicate is for each label is policy, given by the caller
(:func:`openfdp.api.routes_cypher.SCOPE_PREDICATES`); ``{v}`` in a predicate stands
for the node's variable. Neo4j then checks the rewritten query (``EXPLAIN``) like any other.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from openfdp.store.errors import StoreError

SCOPE_VARIABLE = "openfdp_scoped_"


class ScopeRefused(StoreError):
    """The query cannot be scoped; the message says what to change."""


@dataclass(frozen=True)
class Token:
    kind: str  # ws | comment | string | name | quoted | number | param | punct
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>//[^\n]*|/\*.*?\*/)"
    r"|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<quoted>`(?:[^`]|``)*`)"
    r"|(?P<param>\$(?:[A-Za-z_]\w*|`(?:[^`]|``)*`|\d+))"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<punct>\.\.|.)",
    re.DOTALL,
)

# words after which "(" opens a pattern or an expression, never a function's arguments
_KEYWORDS = frozenset(
    [
        "match",
        "optional",
        "where",
        "and",
        "or",
        "xor",
        "not",
        "return",
        "with",
        "unwind",
        "order",
        "by",
        "skip",
        "limit",
        "as",
        "in",
        "is",
        "distinct",
        "case",
        "when",
        "then",
        "else",
        "union",
        "all",
        "call",
        "yield",
        "contains",
        "starts",
        "ends",
    ]
)
# a parenthesised variable followed by one of these is an expression, not a node pattern
_EXPRESSION_FOLLOWERS = frozenset({".", "+", "*", "/", "%", "^", "=", "[", ">"})
_EXPRESSION_WORDS = frozenset(
    [
        "in",
        "is",
        "contains",
        "starts",
        "ends",
        "and",
        "or",
        "xor",
        "then",
        "else",
        "end",
        "when",
        "as",
        "desc",
        "asc",
        "descending",
        "ascending",
    ]
)
_NODE_FUNCTIONS = frozenset({"nodes", "startnode", "endnode"})
_SHORTEST = frozenset({"shortestpath", "allshortestpaths"})


def tokenize(query: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "punct"
        text = match.group()
        if kind == "punct" and text in {"'", '"', "`"}:
            raise ScopeRefused(f"a quoted string or name ({text}) is not closed")
        if kind == "punct" and text == "/" and query.startswith("/*", match.start()):
            raise ScopeRefused("a /* comment is not closed")
        tokens.append(Token(kind, text, match.start(), match.end()))
    return tokens


@dataclass
class _NodePattern:
    open_index: int  # token index of "("
    close_index: int  # token index of the matching ")"
    variable: str | None
    label: str | None
    where_index: int | None  # token index of an inline WHERE


def scope_query(query: str, predicates: Mapping[str, str]) -> str:
    """The query with every node pattern of a label in ``predicates`` restricted by it."""
    tokens = tokenize(query)
    code = [i for i, t in enumerate(tokens) if t.kind not in {"ws", "comment"}]
    _refuse_node_reaching_constructs(tokens, code)
    counter = itertools.count(1)
    inserts: list[tuple[int, str]] = []  # (offset, text), applied right to left
    for position, index in enumerate(code):
        if tokens[index].text != "(" or not _opens_pattern(tokens, code, position):
            continue
        node = _node_pattern(tokens, code, position)
        if node is None:
            continue
        if node.label is None:
            shown = node.variable or ""
            raise ScopeRefused(
                f"every node in a pattern must name one label, e.g. ({shown or 'p'}:NHSTrust) "
                f"instead of ({shown}), also for a node matched earlier in the query; a node "
                "without a label could be any record"
            )
        predicate = predicates.get(_unquote(node.label))
        if predicate is None:
            continue
        variable = node.variable
        if variable is None:
            variable = f"{SCOPE_VARIABLE}{next(counter)}"
            opening = tokens[node.open_index]
            inserts.append((opening.end, variable))
        condition = "(" + predicate.replace("{v}", variable) + ")"
        if node.where_index is not None:
            where = tokens[node.where_index]
            close = tokens[node.close_index]
            inserts.append((where.end, f" {condition} AND ("))
            inserts.append((close.start, ")"))
        else:
            close = tokens[node.close_index]
            inserts.append((close.start, f" WHERE {condition}"))
    text = query
    for offset, inserted in sorted(inserts, reverse=True):
        text = text[:offset] + inserted + text[offset:]
    return text


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _word(token: Token) -> str:
    return token.text.lower() if token.kind == "name" else ""


def _refuse_node_reaching_constructs(tokens: list[Token], code: list[int]) -> None:
    for position, index in enumerate(code):
        token = tokens[index]
        after = tokens[code[position + 1]] if position + 1 < len(code) else None
        word = _word(token)
        if word in _NODE_FUNCTIONS and after is not None and after.text == "(":
            raise ScopeRefused(
                f"{token.text}() is not allowed: it reaches nodes outside any labelled pattern"
            )
        if word in _SHORTEST and after is not None and after.text in {"(", "{"}:
            raise ScopeRefused("shortest-path patterns are not allowed in analyst queries")
        if word == "shortest":
            raise ScopeRefused("shortest-path patterns are not allowed in analyst queries")
        if token.text == "[" and position > 0 and tokens[code[position - 1]].text == "-":
            depth, j = 0, position
            while j < len(code):
                text = tokens[code[j]].text
                depth += text == "["
                depth -= text == "]"
                if text == "*" and depth == 1:
                    raise ScopeRefused(
                        "variable-length relationships (*) are not allowed: name each step "
                        "with labelled nodes, e.g. (a:X)-[:R]->(b:Y)-[:S]->(c:Z)"
                    )
                if depth == 0:
                    break
                j += 1
        if token.text in {"-", ">"} and after is not None and after.text in {"+", "*", "{"}:
            raise ScopeRefused("quantified path patterns are not allowed in analyst queries")


def _opens_pattern(tokens: list[Token], code: list[int], position: int) -> bool:
    """Whether the "(" at ``code[position]`` can open a node pattern (it is not the start of
    a function's arguments or of CALL's variable scope)."""
    if position == 0:
        return True
    before = tokens[code[position - 1]]
    if before.kind in {"name", "quoted"}:
        return _word(before) in _KEYWORDS and _word(before) != "call"
    return before.text not in {")", "]", "}", "."} and before.kind not in {"param", "number"}


def _node_pattern(tokens: list[Token], code: list[int], position: int) -> _NodePattern | None:
    """The node pattern opened at ``code[position]``, or None when the parentheses hold an
    expression instead. Refuses label expressions other than one plain label."""
    open_index = code[position]
    p = position + 1

    def at(k: int) -> Token | None:
        return tokens[code[k]] if k < len(code) else None

    variable = None
    first = at(p)
    if first is None:
        return None
    if first.text == "(":  # a parenthesised path pattern: "((a:X)-[:R]->(b:Y)){1,3}"
        inner = at(p + 1)
        if inner is not None and (inner.text in {")", ":"} or inner.kind in {"name", "quoted"}):
            following = at(p + 2)
            if following is not None and following.text in {":", ")", "{"}:
                raise ScopeRefused("parenthesised path patterns are not allowed in analyst queries")
        return None
    if first.kind in {"name", "quoted"} and _word(first) != "where":
        variable = first.text
        p += 1
    nxt = at(p)
    label = None
    if nxt is None:
        return None
    if nxt.text == ":" or _word(nxt) == "is":
        label_token = at(p + 1)
        after_label = at(p + 2)
        if (
            _word(nxt) == "is"
            or label_token is None
            or label_token.kind not in {"name", "quoted"}
            or after_label is None
            or after_label.text in {":", "|", "&", "!", "%"}
        ):
            raise ScopeRefused(
                "name one plain label per node, e.g. (p:RTTPathway); label expressions "
                "(A|B, !A, %, A&B, A:B, IS) are not allowed in analyst queries"
            )
        label = label_token.text
        p += 2
        nxt = after_label
    if nxt.text == "{":  # a property map: skip to its closing brace
        depth = 0
        while True:
            token = at(p)
            if token is None:
                return None
            depth += token.text == "{"
            depth -= token.text == "}"
            p += 1
            if depth == 0:
                break
        nxt = at(p)
        if nxt is None:
            return None
    where_index = None
    if _word(nxt) == "where":
        where_index = code[p]
        depth = 0
        while True:  # to the ")" that closes the node pattern
            token = at(p)
            if token is None:
                return None
            if token.text in {"(", "[", "{"}:
                depth += 1
            elif token.text in {")", "]", "}"}:
                if depth == 0:
                    break
                depth -= 1
            p += 1
        nxt = at(p)
    if nxt is None or nxt.text != ")":
        return None  # an expression in parentheses, e.g. (a + 1) or (x IN list)
    if label is None and variable is not None and _is_expression_context(tokens, code, p):
        return None
    return _NodePattern(open_index, code[p], variable, label, where_index)


def _is_expression_context(tokens: list[Token], code: list[int], close_position: int) -> bool:
    """``(x)`` followed by an operator, a property access or a keyword that only follows
    expressions is an expression, not a node pattern. (A node pattern there could only be
    a pattern predicate, which cannot bind a new node: ``x`` was bound by an earlier
    labelled pattern.)"""
    following = tokens[code[close_position + 1]] if close_position + 1 < len(code) else None
    if following is None:
        return False
    if following.text == "<":  # "(x) < 1" or "(x) <> y", but "(a)<-[:R]-(b)" is a pattern
        second = tokens[code[close_position + 2]] if close_position + 2 < len(code) else None
        return second is not None and second.text != "-"
    return following.text in _EXPRESSION_FOLLOWERS or _word(following) in _EXPRESSION_WORDS
