"""The GraphQL SDL generated from the ontology: valid, complete, and pinned by a snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_schema,
    validate_schema,
)
from graphql.type import GraphQLNonNull

from openfdp.ontology import SOURCE_DIR, load_ontology
from openfdp.ontology.graphql_sdl import enum_name, enum_value, to_sdl

pytestmark = pytest.mark.unit

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "schema.graphql"
REGENERATE = "openfdp ontology export --format sdl --out tests/snapshots/schema.graphql"


def schema_of(sdl: str):  # type: ignore[no-untyped-def]
    schema = build_schema(sdl + "\ntype Query { ok: Boolean }\n")
    assert validate_schema(schema) == []
    return schema


def test_sdl_matches_the_committed_snapshot() -> None:
    sdl = to_sdl(load_ontology())
    assert sdl == SNAPSHOT.read_text(encoding="utf-8"), (
        f"the GraphQL contract changed; if intended, run `{REGENERATE}` and review the diff"
    )


def test_sdl_is_a_valid_schema_with_every_node_type() -> None:
    onto = load_ontology()
    schema = schema_of(to_sdl(onto))
    for name, nt in onto.node_types.items():
        gql = schema.type_map[name]
        assert isinstance(gql, GraphQLInterfaceType if nt.abstract else GraphQLObjectType)
        assert set(nt.properties) <= set(gql.fields)
    trust = schema.type_map["NHSTrust"]
    assert isinstance(trust, GraphQLObjectType)
    assert [i.name for i in trust.interfaces] == ["Organisation"]
    assert isinstance(trust.fields["ods_code"].type, GraphQLNonNull)  # key
    assert not isinstance(trust.fields["postcode_district"].type, GraphQLNonNull)
    assert str(trust.fields["in_icb_geography"].type) == "[ICB!]!"
    assert str(trust.fields["part_of_incoming"].type) == "[Site!]!"
    supplier = schema.type_map["Supplier"]
    assert isinstance(supplier, GraphQLObjectType)
    assert not isinstance(supplier.fields["ods_code"].type, GraphQLNonNull)  # re-keyed
    period = schema.type_map["RTTPeriod"]
    assert isinstance(period, GraphQLObjectType)
    assert str(period.fields["data_quality_flags"].type) == "[String!]"
    # a period may be open with unknown start (RTT return), so its start date is optional
    assert str(period.fields["start_date"].type) == "Date"
    assert str(period.fields["status"].type) == "String!"


def test_relationship_fields_carry_type_and_direction() -> None:
    sdl = to_sdl(load_ontology())
    assert 'has_event: [RTTStatusEvent!]! @relationship(type: "HAS_EVENT", direction: OUT)' in sdl
    assert (
        'has_event_incoming: [RTTPathway!]! @relationship(type: "HAS_EVENT", direction: IN)' in sdl
    )
    assert '@node(labels: ["NHSTrust", "Organisation"], key: ["ods_code"])' in sdl
    schema = schema_of(sdl)
    subject = schema.type_map["SubjectOfTarget"]
    assert isinstance(subject, GraphQLUnionType)
    assert {t.name for t in subject.types} == {
        "Referral",
        "RTTPathway",
        "Encounter",
        "Appointment",
        "WaitingListEntry",
    }


def test_enums_from_concept_schemes() -> None:
    onto = load_ontology()
    schema = schema_of(to_sdl(onto))
    rtt = schema.type_map["RttStatusCode"]
    assert isinstance(rtt, GraphQLEnumType)
    assert len(rtt.values) == 17 and "C_21" in rtt.values
    tfc = schema.type_map[enum_name("TFC")]
    assert isinstance(tfc, GraphQLEnumType) and len(tfc.values) == 173
    sex = schema.type_map["SexCode"]
    assert isinstance(sex, GraphQLEnumType) and set(sex.values) == {"C_1", "C_2", "C_9", "X"}
    assert "SnomedCode" not in schema.type_map  # empty schemes have no enum
    assert enum_value("ORTT") == "ORTT" and enum_value("01") == "C_01"


def test_sdl_changes_when_the_ontology_changes(tmp_path: Path) -> None:
    for f in SOURCE_DIR.glob("*.ttl"):
        text = f.read_text(encoding="utf-8")
        if f.name == "resource.ttl":
            text = text.replace(
                "ofdp:required ofdp:provider_ods , ofdp:shift_date",
                "ofdp:required ofdp:provider_ods",
            )
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    changed = to_sdl(load_ontology(tmp_path))
    assert changed != to_sdl(load_ontology())
    assert "shift_date: Date\n" in changed
