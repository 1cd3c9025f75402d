"""Finding node patterns in tokenised analyst Cypher: whether a ``(`` can open a node pattern
(not a function's arguments or CALL's variable scope), and reading the pattern it opens —
variable, one plain label, property map, inline ``WHERE`` — or deciding that the
parentheses hold an expression. Label expressions and parenthesised path patterns are
refused with :class:`~openfdp.store.cypher_tokens.ScopeRefused`.
"""

from __future__ import annotations

from dataclasses import dataclass

from openfdp.store.cypher_tokens import ScopeRefused, Token, word_of

# words after which "(" opens a pattern or an expression, never a function's arguments
KEYWORDS = frozenset(
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


@dataclass
class NodePattern:
    """A node pattern, by the token indexes of its parentheses and inline WHERE."""

    open_index: int  # token index of "("
    close_index: int  # token index of the matching ")"
    variable: str | None
    label: str | None
    where_index: int | None  # token index of an inline WHERE


def opens_pattern(tokens: list[Token], code: list[int], position: int) -> bool:
    """Whether the "(" at ``code[position]`` can open a node pattern (it is not the start of
    a function's arguments or of CALL's variable scope)."""
    if position == 0:
        return True
    before = tokens[code[position - 1]]
    if before.kind in {"name", "quoted"}:
        return word_of(before) in KEYWORDS and word_of(before) != "call"
    return before.text not in {")", "]", "}", "."} and before.kind not in {"param", "number"}


def node_pattern(tokens: list[Token], code: list[int], position: int) -> NodePattern | None:
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
    if first.kind in {"name", "quoted"} and word_of(first) != "where":
        variable = first.text
        p += 1
    nxt = at(p)
    label = None
    if nxt is None:
        return None
    if nxt.text == ":" or word_of(nxt) == "is":
        label_token = at(p + 1)
        after_label = at(p + 2)
        if (
            word_of(nxt) == "is"
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
    if word_of(nxt) == "where":
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
    return NodePattern(open_index, code[p], variable, label, where_index)


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
    return following.text in _EXPRESSION_FOLLOWERS or word_of(following) in _EXPRESSION_WORDS
