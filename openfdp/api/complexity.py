"""A static cost limit for GraphQL operations (the "complexity" limit).

Depth and alias limits bound the shape of a document, not how much work it asks for: a page
of 100 pathways each with a page of 100 timeline events is shallow but asks for 10,000
nested objects. The cost of an operation is computed from the document alone, before
anything runs:

- every field costs 1;
- the fields below a field that takes a page size (a ``first`` argument in the schema) are
  counted once per item of the page: ``first`` when it is a literal, the server's maximum
  page size when it comes from a variable or is left out (so a validated document stays
  valid for any variables);
- other lists (a pathway's clock periods, status events) belong to one record and are
  counted once;
- fragments are counted where they are spread.

An operation costing more than ``settings.api.max_complexity`` is refused with a validation
error saying its cost and the limit, like the depth and alias limits.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)

PAGE_ARGUMENT = "first"


def operation_cost(
    selection_set: SelectionSetNode | None,
    parent: GraphQLNamedType | None,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    max_page_size: int,
    _seen: frozenset[str] = frozenset(),
) -> int:
    """The cost of a selection set on type ``parent`` (see the module docstring)."""
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            field = _field(parent, selection.name.value)
            child = get_named_type(field.type) if field is not None else None
            below = operation_cost(
                selection.selection_set, child, schema, fragments, max_page_size, _seen
            )
            total += 1 + _page_size(selection, field, max_page_size) * below
        elif isinstance(selection, InlineFragmentNode):
            on = selection.type_condition
            target = schema.get_type(on.name.value) if on is not None else parent
            total += operation_cost(
                selection.selection_set, target, schema, fragments, max_page_size, _seen
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in _seen:  # cycles are refused elsewhere
                target = schema.get_type(fragment.type_condition.name.value)
                total += operation_cost(
                    fragment.selection_set, target, schema, fragments, max_page_size,
                    _seen | {name},
                )  # fmt: skip
    return total


def _field(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _page_size(node: FieldNode, field: GraphQLField | None, max_page_size: int) -> int:
    """Items per page of a paged field (1 for any other field)."""
    if field is None or PAGE_ARGUMENT not in field.args:
        return 1
    for argument in node.arguments or ():
        if argument.name.value == PAGE_ARGUMENT and isinstance(argument.value, IntValueNode):
            return max(1, min(int(argument.value.value), max_page_size))
    return max_page_size  # from a variable, or left out (the server's default page)


def complexity_rule(max_complexity: int, max_page_size: int) -> type[ValidationRule]:
    """A validation rule refusing operations that cost more than ``max_complexity``."""

    class MaxComplexity(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            schema = self.context.schema
            root = schema.get_root_type(node.operation)
            cost = operation_cost(node.selection_set, root, schema, fragments, max_page_size)
            if cost > max_complexity:
                name = f"'{node.name.value}' " if node.name else ""
                self.report_error(
                    GraphQLError(
                        f"operation {name}costs {cost}, more than the maximum of "
                        f"{max_complexity}: ask for fewer fields or smaller pages (first)",
                        node,
                    )
                )

    MaxComplexity.__qualname__ = MaxComplexity.__name__ = (
        f"MaxComplexity_{max_complexity}_{max_page_size}"
    )
    return MaxComplexity
