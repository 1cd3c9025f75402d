"""Loading trust CSV extracts into the real Neo4j: counts, provenance, idempotence,
crash consistency, quarantine, and the schema guard."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.loaders.generate import generate
from openfdp.loaders.model import MappedRecord, NodeRow, Outcome, Skipped
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import trust_csv
from openfdp.ontology import Ontology, load_ontology
from openfdp.store.fingerprint import graph_counts, graph_fingerprint
from openfdp.store.schema import apply_ontology
from openfdp.store.writer import SchemaNotApplied
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extracts")
    generate(out, data_dir=DATA, trusts=2, patients=150, seed=11)
    return out


@pytest.fixture()
def graph(clean_graph: Driver, ontology: Ontology) -> Driver:
    apply_ontology(clean_graph, ontology)
    return clean_graph


def load(
    driver: Driver, ontology: Ontology, paths: list[Path], qdir: Path, **kw: object
) -> LoadSummary:
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"test-key", domain="test-domain"), ontology=ontology
    )
    files = [p for root in paths for p in (sorted(root.glob("*.csv")) if root.is_dir() else [root])]
    return run_load(
        driver,
        source="csv",
        outcomes=trust_csv.outcomes(paths, ctx),
        ontology=ontology,
        input_fingerprint=fingerprint_files(files),
        quarantine_dir=qdir,
        batch_size=500,
        **kw,  # type: ignore[arg-type]
    )


def scalar(driver: Driver, query: str) -> int:
    records, _, _ = driver.execute_query(query)
    return int(records[0][0])


def test_generated_extracts_load_and_reconcile(
    graph: Driver, ontology: Ontology, extracts: Path, tmp_path: Path
) -> None:
    seen: list[int] = []
    summary = load(
        graph, ontology, [extracts], tmp_path, identity_sink=lambda ev: seen.append(len(ev))
    )
    data_rows = sum(
        max(sum(1 for _ in p.open()) - 1, 0)
        for p in extracts.glob("*.csv")
        if p.name not in {"answers.csv", "rtt_answers.csv"}  # the generator's answers
    )
    assert summary.read == data_rows
    assert summary.reconciles and summary.quarantined == 0 and summary.skipped == 0
    assert sum(seen) > 0
    pathways = {
        (r["ppid_issuer_ods"], r["ppid"])
        for p in extracts.glob("waiting_list-*.csv")
        for r in csv.DictReader(p.open())
    }
    assert scalar(graph, "MATCH (p:RTTPathway) RETURN count(p)") == len(pathways)
    assert (
        scalar(graph, "MATCH (:RTTPathway)-[:HAS_PERIOD]->(p:RTTPeriod) RETURN count(DISTINCT p)")
        >= len(pathways) * 0.95
    )
    # every node a record owns has provenance; only key-only references and code lists lack it
    records, _, _ = graph.execute_query(
        "MATCH (n) WHERE NOT n:SourceRecord AND NOT n:LoadBatch AND NOT n:OntologyVersion "
        "AND NOT (n)-[:DERIVED_FROM]->(:SourceRecord) "
        "RETURN DISTINCT [x IN labels(n) WHERE x <> 'Organisation'][0] AS l"
    )
    assert {r["l"] for r in records} <= {"CodedConcept", "NHSTrust"}
    records, _, _ = graph.execute_query(
        "MATCH (b:LoadBatch) "
        "RETURN b.records_read AS r, b.records_loaded AS l, b.ontology_version AS v"
    )
    assert [(r["r"], r["l"], r["v"]) for r in records] == [
        (summary.read, summary.loaded, ontology.version)
    ]
    assert (
        scalar(
            graph, "MATCH (s:SourceRecord) WHERE NOT (s)-[:IN_BATCH]->(:LoadBatch) RETURN count(s)"
        )
        == 0
    )
    assert scalar(graph, "MATCH (s:SourceRecord) RETURN count(s)") == summary.loaded
    # superclass labels come from the ontology; persons are pseudonymised
    assert scalar(graph, "MATCH (t:NHSTrust) WHERE NOT t:Organisation RETURN count(t)") == 0
    assert scalar(graph, "MATCH (p:PseudonymisedPerson {ndoo_opt_out: true}) RETURN count(p)") > 0
    assert (
        scalar(
            graph, "MATCH (p:PseudonymisedPerson) WHERE p.cluster_id <> p.pseudo_id RETURN count(p)"
        )
        == 0
    )


def test_reload_of_the_same_input_changes_nothing(
    graph: Driver, ontology: Ontology, extracts: Path, tmp_path: Path
) -> None:
    first = load(graph, ontology, [extracts], tmp_path)
    counts = graph_counts(graph)
    props = scalar(graph, "MATCH (n) RETURN sum(size(keys(n)))")
    fp = graph_fingerprint(graph)
    second = load(graph, ontology, [extracts], tmp_path)
    assert second.batch_id == first.batch_id
    assert graph_counts(graph) == counts
    assert scalar(graph, "MATCH (n) RETURN sum(size(keys(n)))") == props
    assert graph_fingerprint(graph) == fp


class Killed(Exception):
    pass


def _dies_after(outcomes: Iterator[Outcome], n: int) -> Iterator[Outcome]:
    for i, o in enumerate(outcomes):
        if i == n:
            raise Killed
        yield o


def test_killed_load_rerun_equals_one_clean_load(
    graph: Driver, ontology: Ontology, extracts: Path, tmp_path: Path
) -> None:
    load(graph, ontology, [extracts], tmp_path)
    clean = graph_fingerprint(graph)
    clean_counts = graph_counts(graph)
    graph.execute_query(
        "MATCH (n) WHERE NOT n:CodedConcept AND NOT n:OntologyVersion DETACH DELETE n"
    )
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=b"test-key", domain="test-domain"), ontology=ontology
    )
    files = sorted(extracts.glob("*.csv"))
    with pytest.raises(Killed):
        run_load(
            graph, source="csv", outcomes=_dies_after(trust_csv.outcomes([extracts], ctx), 1700),
            ontology=ontology, input_fingerprint=fingerprint_files(files), quarantine_dir=tmp_path,
            batch_size=500,
        )  # fmt: skip
    assert graph_counts(graph) != clean_counts  # half a load is in the graph
    load(graph, ontology, [extracts], tmp_path)
    assert graph_counts(graph) == clean_counts
    assert graph_fingerprint(graph) == clean


BROKEN = [
    # (what is wrong, field, overrides)
    ("bad date", "activity_date", {"activity_date": "2026-02-30"}),
    ("missing ppid", "ppid", {"ppid": ""}),
    ("unknown TFC", "tfc", {"tfc": "999"}),
    ("unknown status", "status_code", {"status_code": "77"}),
    ("bad ODS", "ppid_issuer_ods", {"ppid_issuer_ods": "NOT-ODS"}),
]


def test_broken_rows_are_quarantined_and_counts_reconcile(
    graph: Driver, ontology: Ontology, extracts: Path, tmp_path: Path
) -> None:
    src = sorted(extracts.glob("waiting_list-*.csv"))[0]
    rows = list(csv.DictReader(src.open()))
    header = list(rows[0])
    broken = tmp_path / "in" / "waiting_list.csv"
    broken.parent.mkdir()
    good = rows[:40]
    with broken.open("w", newline="") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(good)
        for i, (_, _, over) in enumerate(BROKEN):
            w.writerow({**rows[0], "ppid": f"BROKEN{i}", **over})
        w.writerow(
            {**rows[0], "ppid": "BADNHS", "nhs_number": "9990000001", "local_patient_id": "L-BAD"}
        )
    qdir = tmp_path / "q"
    summary = load(graph, ontology, [broken], qdir)
    assert summary.read == len(good) + len(BROKEN) + 1
    assert summary.quarantined == len(BROKEN)
    assert summary.loaded == len(good) + 1  # an invalid NHS number does not stop the record
    assert summary.reconciles
    assert summary.quarantine_file is not None
    lines = [json.loads(x) for x in summary.quarantine_file.read_text().splitlines()]
    assert sorted(x["field"] for x in lines) == sorted(f for _, f, _ in BROKEN)
    assert all(x["position"].startswith("waiting_list.csv:") and x["reason"] for x in lines)
    assert (
        scalar(
            graph,
            "MATCH (p:RTTPathway {ppid: 'BADNHS'})<-[:SUBJECT_OF]-(x:PseudonymisedPerson) "
            "RETURN count(x)",
        )
        == 1
    )
    assert (
        scalar(
            graph,
            "MATCH (p:RTTPathway {ppid: 'BADNHS'})<-[:SUBJECT_OF]-(x:PseudonymisedPerson) "
            "RETURN toInteger(x.nhs_number_verified)",
        )
        == 0
    )
    records, _, _ = graph.execute_query("MATCH (b:LoadBatch) RETURN b.records_quarantined AS q")
    assert records[0]["q"] == len(BROKEN)


def test_rows_outside_the_ontology_are_quarantined_not_written(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    outcomes: list[Outcome] = [
        MappedRecord(
            "test", "t:1", "1", "h1", [NodeRow("Ward", {"ward_id": "X:1"}, {"colour": "red"})]
        ),
        MappedRecord("test", "t:2", "2", "h2", [NodeRow("Spaceship", {"id": "1"})]),
        MappedRecord(
            "test", "t:3", "3", "h3", [NodeRow("Ward", {"ward_id": "X:2"}, {"name": "ok"})]
        ),
        Skipped("test", "t:4", "resource type not mapped"),
    ]
    s = run_load(
        graph,
        source="test",
        outcomes=outcomes,
        ontology=ontology,
        input_fingerprint="x",
        quarantine_dir=tmp_path,
    )
    assert (s.read, s.loaded, s.quarantined, s.skipped) == (4, 1, 2, 1)
    assert s.skipped_by_reason == {"resource type not mapped": 1}
    assert scalar(graph, "MATCH (w:Ward) RETURN count(w)") == 1


def test_refuses_to_write_before_the_constraints_exist(
    clean_graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    apply_ontology(clean_graph, ontology)
    records, _, _ = clean_graph.execute_query(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes WHERE 'Ward' IN labelsOrTypes RETURN name"
    )
    names = [r["name"] for r in records]
    assert names
    try:
        for name in names:
            clean_graph.execute_query(f"DROP CONSTRAINT `{name}`")
        outcomes = [MappedRecord("test", "t:1", "1", "h", [NodeRow("Ward", {"ward_id": "X:1"})])]
        with pytest.raises(SchemaNotApplied, match="openfdp ontology apply"):
            run_load(
                clean_graph,
                source="test",
                outcomes=outcomes,
                ontology=ontology,
                input_fingerprint="y",
                quarantine_dir=tmp_path,
            )
    finally:
        apply_ontology(clean_graph, ontology)
    assert scalar(clean_graph, "MATCH (w:Ward) RETURN count(w)") == 0


def test_dry_run_writes_nothing(
    graph: Driver, ontology: Ontology, extracts: Path, tmp_path: Path
) -> None:
    before = graph_counts(graph)
    s = load(graph, ontology, [extracts], tmp_path, dry_run=True)
    assert s.read > 0 and s.reconciles
    assert graph_counts(graph) == before
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_reference_nodes_are_claimed_once_unless_new_properties_arrive(
    graph: Driver, ontology: Ontology, tmp_path: Path
) -> None:
    site = {"ods_code": "RJ101"}
    outcomes: list[Outcome] = [
        MappedRecord(
            "t",
            f"t:{i}",
            str(i),
            "h",
            [NodeRow("Site", site), NodeRow("Ward", {"ward_id": f"RJ101:W{i}"})],
        )
        for i in range(3)
    ]
    outcomes.append(MappedRecord("t", "t:9", "9", "h", [NodeRow("Site", site, {"name": "Main"})]))
    s = run_load(
        graph,
        source="t",
        outcomes=outcomes,
        ontology=ontology,
        input_fingerprint="r",
        quarantine_dir=tmp_path,
    )
    assert s.loaded == 4
    records, _, _ = graph.execute_query(
        "MATCH (s:Site {ods_code: 'RJ101'})-[:DERIVED_FROM]->(r:SourceRecord) "
        "RETURN s.name AS name, collect(r.record_key) AS keys"
    )
    assert records[0]["name"] == "Main"
    assert sorted(records[0]["keys"]) == ["0", "9"]
