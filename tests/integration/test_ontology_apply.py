"""`apply_ontology` against the real Neo4j: idempotent, version recorded, keys enforced."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from neo4j.exceptions import ConstraintError

from neo4j import Driver
from openfdp.ontology import SOURCE_DIR, Ontology, load_ontology
from openfdp.ontology.cypher_ddl import schema_objects
from openfdp.store.schema import SchemaApplyError, applied_version, apply_ontology

pytestmark = pytest.mark.integration


def drop_ofdp_schema(driver: Driver) -> None:
    for kind, plural in (("CONSTRAINT", "CONSTRAINTS"), ("INDEX", "INDEXES")):
        records, _, _ = driver.execute_query(f"SHOW {plural} YIELD name RETURN name")
        for r in records:
            if r["name"].startswith("ofdp_"):
                driver.execute_query(f"DROP {kind} `{r['name']}` IF EXISTS")


def edited_copy(tmp_path: Path, file: str, old: str, new: str) -> Ontology:
    folder = tmp_path / "source"
    shutil.copytree(SOURCE_DIR, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_ontology(folder)


@pytest.fixture()
def bare_graph(clean_graph: Driver) -> Driver:
    drop_ofdp_schema(clean_graph)
    return clean_graph


def count(driver: Driver, cypher: str) -> int:
    records, _, _ = driver.execute_query(cypher)
    return int(records[0][0])


def test_apply_twice_second_changes_nothing(bare_graph: Driver) -> None:
    driver = bare_graph
    onto = load_ontology()
    objects = schema_objects(onto)
    n_constraints = sum(o.kind == "constraint" for o in objects)
    n_concepts = sum(len(c) for c in onto.concept_schemes.values())

    assert applied_version(driver) is None
    first = apply_ontology(driver, onto)
    assert first.version == onto.version
    assert not first.already_applied and first.changed
    assert first.constraints_created == n_constraints
    assert first.indexes_created == len(objects) - n_constraints
    assert first.concepts_created == n_concepts == first.concepts_merged
    assert applied_version(driver) == onto.version
    stamp = driver.execute_query("MATCH (v:OntologyVersion) RETURN v.applied_at AS t").records[0][
        "t"
    ]

    second = apply_ontology(driver, onto)
    assert second.already_applied and not second.changed
    assert (second.constraints_created, second.indexes_created) == (0, 0)
    assert (second.concepts_created, second.concepts_updated) == (0, 0)
    assert count(driver, "MATCH (v:OntologyVersion) RETURN count(v)") == 1
    again = driver.execute_query("MATCH (v:OntologyVersion) RETURN v.applied_at AS t").records[0][
        "t"
    ]
    assert again == stamp
    assert count(driver, "MATCH (c:CodedConcept) RETURN count(c)") == n_concepts

    records, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties "
        "WHERE name = 'ofdp_PseudonymisedPerson_key' RETURN labelsOrTypes, properties"
    )
    assert records[0]["properties"] == ["pseudonymisation_domain", "pseudo_id"]
    rtt = driver.execute_query(
        "MATCH (c:CodedConcept {system: 'RTT_STATUS', code: '21'}) RETURN c.display AS d"
    ).records
    assert rtt[0]["d"].startswith("Transfer")


def test_keys_are_enforced_after_apply(bare_graph: Driver) -> None:
    apply_ontology(bare_graph, load_ontology())
    bare_graph.execute_query("CREATE (:NHSTrust:Organisation {ods_code: 'RR8', name: 'Leeds'})")
    with pytest.raises(ConstraintError):
        bare_graph.execute_query(
            "CREATE (:Site:Organisation {ods_code: 'RR8'})"
        )  # Organisation key
    bare_graph.execute_query(
        "CREATE (:PseudonymisedPerson {pseudonymisation_domain: 'd', pseudo_id: 'p'})"
    )
    with pytest.raises(ConstraintError):
        bare_graph.execute_query(
            "CREATE (:PseudonymisedPerson {pseudonymisation_domain: 'd', pseudo_id: 'p'})"
        )
    bare_graph.execute_query(  # same pseudo_id in another domain is another person
        "CREATE (:PseudonymisedPerson {pseudonymisation_domain: 'e', pseudo_id: 'p'})"
    )


def test_new_version_updates_concepts_and_is_recorded(bare_graph: Driver, tmp_path: Path) -> None:
    onto = load_ontology()
    apply_ontology(bare_graph, onto)
    changed = edited_copy(tmp_path, "codelists.ttl", '"Two Week Wait"@en', '"Two week wait"@en')
    result = apply_ontology(bare_graph, changed)
    assert not result.already_applied
    assert (result.concepts_created, result.concepts_updated) == (0, 1)
    assert applied_version(bare_graph) == changed.version != onto.version
    back = apply_ontology(bare_graph, onto)  # going back is recorded too
    assert back.concepts_updated == 1 and applied_version(bare_graph) == onto.version


def test_key_change_recreates_the_constraint_and_stale_objects_are_reported(
    bare_graph: Driver, tmp_path: Path
) -> None:
    apply_ontology(bare_graph, load_ontology())
    rekeyed = edited_copy(
        tmp_path, "resource.ttl", "owl:hasKey ( ofdp:ward_id )", "owl:hasKey ( ofdp:ward_code )"
    )
    result = apply_ontology(bare_graph, rekeyed)
    assert result.replaced == ("ofdp_Ward_key",)
    assert result.constraints_created == 1
    props = bare_graph.execute_query(
        "SHOW CONSTRAINTS YIELD name, properties WHERE name = 'ofdp_Ward_key' RETURN properties"
    ).records[0]["properties"]
    assert props == ["ward_code"]
    restored = apply_ontology(bare_graph, load_ontology())
    assert restored.replaced == ("ofdp_Ward_key",)

    bare_graph.execute_query(
        "CREATE INDEX ofdp_Ward_retired IF NOT EXISTS FOR (n:Ward) ON (n.retired)"
    )
    assert "ofdp_Ward_retired" in apply_ontology(bare_graph, load_ontology()).stale


def test_existing_duplicates_are_a_clear_error(bare_graph: Driver) -> None:
    bare_graph.execute_query(
        "CREATE (:Bed {bed_id: 'RR801:W1:B1'}), (:Bed {bed_id: 'RR801:W1:B1'})"
    )
    with pytest.raises(SchemaApplyError, match="cannot create constraint ofdp_Bed_key"):
        apply_ontology(bare_graph, load_ontology())
