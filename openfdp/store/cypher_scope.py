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
from collections.abc import Mapping

from openfdp.store.cypher_patterns import node_pattern, opens_pattern
from openfdp.store.cypher_tokens import ScopeRefused, Token, tokenize, unquote, word_of

SCOPE_VARIABLE = "openfdp_scoped_"
_NODE_FUNCTIONS = frozenset({"nodes", "startnode", "endnode"})
_SHORTEST = frozenset({"shortestpath", "allshortestpaths"})


def scope_query(query: str, predicates: Mapping[str, str]) -> str:
    """The query with every node pattern of a label in ``predicates`` restricted by it."""
    tokens = tokenize(query)
    code = [i for i, t in enumerate(tokens) if t.kind not in {"ws", "comment"}]
    _refuse_node_reaching_constructs(tokens, code)
    counter = itertools.count(1)
    inserts: list[tuple[int, str]] = []  # (offset, text), applied right to left
    for position, index in enumerate(code):
        if tokens[index].text != "(" or not opens_pattern(tokens, code, position):
            continue
        node = node_pattern(tokens, code, position)
        if node is None:
            continue
        if node.label is None:
            shown = node.variable or ""
            raise ScopeRefused(
                f"every node in a pattern must name one label, e.g. ({shown or 'p'}:NHSTrust) "
                f"instead of ({shown}), also for a node matched earlier in the query; a node "
                "without a label could be any record"
            )
        predicate = predicates.get(unquote(node.label))
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


def _refuse_node_reaching_constructs(tokens: list[Token], code: list[int]) -> None:
    for position, index in enumerate(code):
        token = tokens[index]
        after = tokens[code[position + 1]] if position + 1 < len(code) else None
        word = word_of(token)
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
