"""The ODS, FHIR and HL7 v2 feeds loaded through the pipeline into the real Neo4j: counts
reconcile, references resolve into one connected graph, reloads change nothing, and no
raw identifier is stored."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.loaders.model import MapContext, MappedRecord, Outcome, Rejection, Skipped
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser, looks_like_valid_nhs_number
from openfdp.loaders.readers import fhir, hl7v2, ods
from openfdp.ontology import Ontology, load_ontology
from openfdp.store.fingerprint import graph_counts
from openfdp.store.schema import apply_ontology
from tests.data_paths import GP_MAP, ITK_ADT, ODS_SPEND, PIPEHAT, PIPES, SMART_SAMPLE, UKCORE

pytestmark = pytest.mark.integration
HEX_TOKEN = re.compile(r"\b[0-9a-f]{16,64}\b")  # pseudo_ids, content hashes, batch ids
Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]
FEEDS: list[tuple[str, Reader, list[Path]]] = [
    ("ods", ods.outcomes, [ODS_SPEND, GP_MAP]),
    ("fhir", fhir.outcomes, [PIPES, UKCORE]),
    ("hl7", hl7v2.outcomes, [ITK_ADT, PIPEHAT]),
]


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture()
def graph(clean_graph: Driver, ontology: Ontology) -> Driver:
    apply_ontology(clean_graph, ontology)
    return clean_graph


def scalar(driver: Driver, query: str) -> int:
    records, _, _ = driver.execute_query(query)
    return int(records[0][0])


def files(paths: list[Path]) -> list[Path]:
    return [f for p in paths for f in (sorted(p.rglob("*")) if p.is_dir() else [p]) if f.is_file()]


def load(
    driver: Driver, ontology: Ontology, qdir: Path, source: str, reader: Reader, paths: list[Path]
) -> tuple[LoadSummary, Counter[str]]:
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"test-key", domain="test-domain"), ontology=ontology
    )
    expected = Counter(type(o).__name__ for o in reader(paths, ctx))
    summary = run_load(
        driver,
        source=source,
        outcomes=reader(paths, ctx),
        ontology=ontology,
        input_fingerprint=fingerprint_files(files(paths)),
        quarantine_dir=qdir,
        batch_size=500,
    )
    return summary, expected


def test_feeds_load_reconcile_and_connect(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    for source, reader, paths in FEEDS:
        summary, expected = load(graph, ontology, tmp_path, source, reader, paths)
        assert summary.reconciles, source
        assert summary.read == sum(expected.values())
        assert summary.loaded == expected[MappedRecord.__name__], summary.quarantined_by_reason
        assert summary.quarantined == expected[Rejection.__name__]
        assert summary.skipped == expected[Skipped.__name__]

    # ODS hierarchy: practice -> PCN -> sub-ICB location -> ICB, trusts in ICBs
    assert scalar(graph, "MATCH (i:ICB) RETURN count(i)") == 42
    assert scalar(graph, "MATCH (t:NHSTrust) WHERE t.name IS NULL RETURN count(t)") == 0
    chain = (
        "MATCH (:GPPractice {ods_code: 'A81001'})-[:MEMBER_OF]->(:PCN)-[:IN]->(:SubICBLocation)"
        "-[:PART_OF]->(i:ICB) RETURN i.name"
    )
    records, _, _ = graph.execute_query(chain)
    assert [r[0] for r in records] == ["NHS North East and North Cumbria Integrated Care Board"]

    # FHIR: 33 Synthea encounters + 1 UK Core; HL7: A03 and A04 + 1 pipehat ADT^A01/A04 each
    assert scalar(graph, "MATCH (e:Encounter) RETURN count(e)") == 33 + 1 + 2 + 2
    assert (
        scalar(
            graph,
            "MATCH (e:Encounter) WHERE NOT (:PseudonymisedPerson)-[:SUBJECT_OF]->(e) "
            "RETURN count(e)",
        )
        == 0
    )
    # Synthea 3.x conditional references resolved to the shared hospital file's organisations
    assert (
        scalar(
            graph,
            "MATCH (e:Encounter {source_system: 'fhir'})-[:AT_ORGANISATION]->(s:Site) "
            "WHERE s.name IS NULL RETURN count(*)",
        )
        == 0
    )
    # UK Core and HL7 records meet the ODS trusts they name
    records, _, _ = graph.execute_query(
        "MATCH (e:Encounter)-[:AT_ORGANISATION]->(t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB) "
        "RETURN t.ods_code AS trust, count(e) AS n ORDER BY trust"
    )
    assert {r["trust"]: r["n"] for r in records} == {"RCB": 2, "RR8": 1}
    # the ITK messages carry NHS number 3333333333, a placeholder: treated as missing and
    # never linked on, so each message's patient stays its own person, flagged
    registered = (
        "MATCH (p:PseudonymisedPerson)-[:REGISTERED_WITH]->(:GPPractice {ods_code: 'Y06601'}) "
    )
    assert scalar(graph, registered + "WHERE p.nhs_number_verified RETURN count(p)") == 0
    flagged = scalar(graph, registered + "WHERE p.nhs_number_placeholder RETURN count(p)")
    assert flagged >= 2 and flagged == scalar(graph, registered + "RETURN count(p)")


def test_reload_changes_nothing_and_no_raw_identifier_is_stored(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    for source, reader, paths in FEEDS[1:]:
        load(graph, ontology, tmp_path, source, reader, paths)
    counts = graph_counts(graph)
    for source, reader, paths in FEEDS[1:]:
        load(graph, ontology, tmp_path, source, reader, paths)
    assert graph_counts(graph) == counts

    records, _, _ = graph.execute_query(
        "MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p"
    )
    blob = HEX_TOKEN.sub("#", "\n".join(str(v) for r in records for v in r["p"].values()))
    assert len(blob) > 10_000
    assert looks_like_valid_nhs_number(blob) == []
    for raw in (
        "SMITH",
        "FREDRICA",
        "Celesta195",
        "Borer986",
        "LS17 7DF",
        "YO32 5TT",
        "1970-09-11",
    ):
        assert raw not in blob


def test_synthea_bundles_merge_shared_organisations(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    # the 10 sampled bundles: 1,086 entries + the 87 + 87 of the shared files
    # (tests/data/synthea-r4-smart-on-fhir/README.md); 5 procedures coded LOINC under SNOMED CT
    summary, expected = load(graph, ontology, tmp_path, "fhir", fhir.outcomes, SMART_SAMPLE)
    assert summary.reconciles
    assert (summary.read, summary.loaded, summary.quarantined) == (1260, 392, 5)
    assert expected[MappedRecord.__name__] == summary.loaded
    assert scalar(graph, "MATCH (e:Encounter) RETURN count(e)") == 110
    assert scalar(graph, "MATCH (p:PseudonymisedPerson) RETURN count(p)") == 10
    # 12 in-bundle copies of 11 organisations merge with the 87 of the shared file
    assert scalar(graph, "MATCH (s:Site) RETURN count(s)") == 87
    assert scalar(graph, "MATCH (s:Site) WHERE s.name IS NULL RETURN count(s)") == 0
    assert (
        scalar(
            graph,
            "MATCH (:PseudonymisedPerson)-[:SUBJECT_OF]->(:Encounter)-[:HAS_DIAGNOSIS]->"
            "(d:Diagnosis)-[:CODED_AS]->(:CodedConcept {system: 'SNOMED'}) RETURN count(d)",
        )
        == 40
    )
