"""The static cost of GraphQL operations (the complexity limit)."""

from __future__ import annotations

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse, validate

from openfdp.api.complexity import complexity_rule, operation_cost

pytestmark = pytest.mark.unit

SCHEMA = build_schema(
    """
    type Query { pathways(first: Int): Page!  pathway: Item }
    type Page { nodes: [Item!]! }
    type Item { a: Int  b: Int  events: [Item!]!  timeline(first: Int): Page! }
    """
)


def cost(text: str, max_page_size: int = 100) -> int:
    doc = parse(text)
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    (op,) = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    root = SCHEMA.query_type
    return operation_cost(op.selection_set, root, SCHEMA, fragments, max_page_size)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{ pathway { a b } }", 3),
        ("{ pathway { a events { a b } } }", 1 + 1 + 1 + 2),  # a record's list counts once
        ("{ pathways(first: 10) { nodes { a b } } }", 1 + 10 * (1 + 2)),
        ("query($n: Int) { pathways(first: $n) { nodes { a } } }", 1 + 100 * 2),
        ("{ pathways { nodes { a } } }", 1 + 100 * 2),  # no first: the maximum page
        ("{ pathways(first: 5000) { nodes { a } } }", 1 + 100 * 2),  # capped like the API
        (
            "{ pathways(first: 10) { nodes { timeline(first: 10) { nodes { a } } } } }",
            1 + 10 * (1 + 1 * (1 + 10 * (1 + 1))),
        ),
        ("{ pathway { ...F } } fragment F on Item { a b }", 3),
        ("{ pathway { ... on Item { a } b } }", 3),
    ],
)
def test_cost(text: str, expected: int) -> None:
    assert cost(text) == expected


def test_rule_refuses_costly_operations_with_a_clear_message() -> None:
    rule = complexity_rule(max_complexity=1000, max_page_size=100)
    cheap = parse("{ pathways(first: 10) { nodes { a b } } }")
    assert validate(SCHEMA, cheap, [rule]) == []
    costly = parse("query Big { pathways { nodes { timeline { nodes { a b events { a } } } } } }")
    (error,) = validate(SCHEMA, costly, [rule])
    assert "operation 'Big' costs" in error.message
    assert "more than the maximum of 1000" in error.message


def test_rule_names_differ_by_limit() -> None:
    """The validation cache keys on rule names, so other limits must not share results."""
    assert complexity_rule(10, 100).__qualname__ != complexity_rule(20, 100).__qualname__
