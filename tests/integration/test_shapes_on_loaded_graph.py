"""The SHACL shapes agree with what the loaders write: generated demo extracts and the ODS,
FHIR and HL7 v2 sample feeds are loaded into the real Neo4j, the graph is read back and
exported as RDF, and pySHACL finds no violation against ontology/shapes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Literal
from rdflib.namespace import RDF, SH

from neo4j import Driver
from openfdp.loaders.generate import generate
from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir, hl7v2, ods, trust_csv
from openfdp.ontology import Ontology, load_ontology
from openfdp.ontology.compile import ontology_graph, shapes_graph
from openfdp.ontology.instance_rdf import OFDP, class_of, node_iri, to_rdf
from openfdp.store.export_graph import GraphNode, read_nodes, read_rels
from openfdp.store.schema import apply_ontology
from tests.data_paths import ITK_ADT, ODS_SPEND, REFERENCE_DATA_DIR, UKCORE

pytestmark = pytest.mark.integration
Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]


def load(driver: Driver, ontology: Ontology, name: str, reader: Reader, paths: list[Path]) -> None:
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"test-key", domain="test-domain"), ontology=ontology
    )
    files = [f for p in paths for f in (sorted(p.rglob("*")) if p.is_dir() else [p]) if f.is_file()]
    summary = run_load(
        driver,
        source=name,
        outcomes=reader(paths, ctx),
        ontology=ontology,
        input_fingerprint=fingerprint_files(files),
        quarantine_dir=paths[0].parent / "quarantine",
        batch_size=1000,
    )
    assert summary.reconciles and summary.loaded > 0, name


def violations(report: object) -> list[tuple[str, str, str]]:
    from rdflib import Graph  # noqa: PLC0415

    assert isinstance(report, Graph)
    out = []
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        out.append(
            (
                str(report.value(r, SH.focusNode)),
                str(report.value(r, SH.resultPath)),
                str(report.value(r, SH.resultMessage)),
            )
        )
    return out


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


def test_loaded_demo_graph_conforms_to_the_shapes(
    clean_graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    apply_ontology(clean_graph, ontology)
    extracts = tmp_path / "extracts"
    generate(extracts, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=40, seed=5)
    load(clean_graph, ontology, "ods", ods.outcomes, [ODS_SPEND])
    load(clean_graph, ontology, "csv", trust_csv.outcomes, [extracts])
    load(clean_graph, ontology, "fhir", fhir.outcomes, [UKCORE])
    load(clean_graph, ontology, "hl7", hl7v2.outcomes, [ITK_ADT])
    nodes = list(read_nodes(clean_graph, page=2000))
    data = to_rdf(ontology, nodes, read_rels(clean_graph, page=2000))
    classes = Counter(class_of(ontology, n.labels) for n in nodes)
    assert None not in classes, "a node whose labels are not those of one class"
    assert {"RTTPathway", "Encounter", "PseudonymisedPerson", "NHSTrust"} <= set(classes)
    conforms, report, _ = validate(
        data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="none"
    )
    found = violations(report)
    kinds = Counter((path, message[:80]) for _, path, message in found)
    assert conforms and not found, f"{len(found)} violations: {kinds.most_common(12)}"


def test_the_export_lets_the_shapes_catch_a_wrong_graph(ontology: Ontology) -> None:
    """The check can fail: a raw NHS number property and a missing required key both show."""
    person = GraphNode(
        "4:x:1",
        ("PseudonymisedPerson",),
        {"pseudonymisation_domain": "d", "pseudo_id": "0" * 64, "nhs_number": "9434765919"},
    )
    data = to_rdf(ontology, [person], [])
    assert (node_iri(person.id), OFDP.nhs_number, Literal("9434765919")) in data
    assert (node_iri(person.id), RDF.type, OFDP.PseudonymisedPerson) in data
    conforms, report, _ = validate(
        data, shacl_graph=shapes_graph(), ont_graph=ontology_graph(), inference="none"
    )
    paths = {p for _, p, _ in violations(report)}
    assert not conforms
    assert str(OFDP.cluster_id) in paths  # required (sh:minCount 1)
    assert any("nhs_number" in m or p == str(OFDP.nhs_number) for _, p, m in violations(report))
