"""Drift check: every GraphQL node type field that shows a graph property must exist in the
ontology's SDL (``openfdp.ontology.graphql_sdl.to_sdl``) with a compatible type. Renaming, retyping
or relaxing a property in the ontology therefore fails here until the API follows."""

from __future__ import annotations

import graphql
import pytest

from openfdp.api.schema import build_schema
from openfdp.api.schema.common import ONTOLOGY_TYPES
from openfdp.ontology import load_ontology
from openfdp.ontology.graphql_sdl import to_sdl

pytestmark = pytest.mark.api

# API scalar -> the ontology SDL scalars it may show
COMPATIBLE = {
    "String": {"String"},
    "ID": {"String"},
    "Int": {"Int"},
    "Float": {"Float", "Int"},
    "Boolean": {"Boolean"},
    "Date": {"Date"},
    "DateTime": {"DateTime"},
    "Time": {"LocalTime"},
}


def _shape(t: graphql.GraphQLOutputType) -> tuple[bool, bool, str]:
    """(non-null, list, named type name)."""
    non_null = isinstance(t, graphql.GraphQLNonNull)
    inner = t.of_type if isinstance(t, graphql.GraphQLNonNull) else t
    is_list = isinstance(inner, graphql.GraphQLList)
    named = graphql.get_named_type(inner)
    return non_null, is_list, named.name


def drift(onto_sdl: str) -> list[str]:
    """Every mismatch between the API's node types and the ontology SDL."""
    onto = graphql.build_schema(onto_sdl)
    api = build_schema()
    problems: list[str] = []
    for cls, (onto_class, derived) in ONTOLOGY_TYPES.items():
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        api_type = api._schema.type_map[definition.name]
        onto_type = onto.type_map.get(onto_class)
        if not isinstance(onto_type, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            problems.append(f"{definition.name}: ontology class {onto_class} not in the SDL")
            continue
        for field in definition.fields:
            graphql_name = api.config.name_converter.get_graphql_name(field)
            if field.python_name in derived or graphql_name not in api_type.fields:
                continue  # derived, or private (not in the schema)
            where = f"{definition.name}.{field.python_name}"
            onto_field = onto_type.fields.get(field.python_name)
            if onto_field is None:
                problems.append(f"{where}: no property {field.python_name} on {onto_class}")
                continue
            a_null, a_list, a_name = _shape(api_type.fields[graphql_name].type)
            o_null, o_list, o_name = _shape(onto_field.type)
            if a_list != o_list or o_name not in COMPATIBLE.get(a_name, {a_name}):
                problems.append(f"{where}: API {a_name} vs ontology {o_name}")
            if a_null and not o_null:
                problems.append(f"{where}: non-null in the API, optional in the ontology")
    return problems


def test_node_types_match_the_ontology_sdl():
    assert drift(to_sdl(load_ontology())) == []


def test_every_pathway_contract_type_is_checked():
    checked = {onto for onto, _ in ONTOLOGY_TYPES.values()}
    assert {
        "RTTPathway",
        "RTTPeriod",
        "RTTStatusEvent",
        "Appointment",
        "Procedure",
        "Diagnosis",
        "PseudonymisedPerson",
        "TheatreSession",
        "Ward",
        "Supplier",
        "Contract",
        "DataProcessingAgreement",
        "Product",
        "Organisation",
    } <= checked


def test_a_renamed_or_retyped_property_is_reported():
    sdl = to_sdl(load_ontology())
    renamed = sdl.replace("  breach_date_52w: Date", "  breach_date_52_weeks: Date", 1)
    assert any("breach_date_52w" in p for p in drift(renamed))
    retyped = sdl.replace("  length_days: Int", "  length_days: String", 1)
    assert any("length_days" in p and "String" in p for p in drift(retyped))
