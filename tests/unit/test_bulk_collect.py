"""The bulk collector streams: its memory is bounded by its spill size, not by the input, and
neither the spill size nor the number of mapping processes changes the import files.

The files are compared as sets of nodes (ID space, ID, labels, typed properties) and
relationships (type, ends, typed properties), read back from the CSV files neo4j-admin
imports; tests/integration/test_bulk_load.py checks the imported graph against the
incremental load.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from openfdp.loaders.bulk import BulkFeed, collect, csv_chunks, write_files
from openfdp.loaders.generate import generate
from openfdp.loaders.pipeline_inputs import map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import hl7v2, trust_csv
from openfdp.ontology import Ontology, load_ontology
from openfdp.settings import REFERENCE_DATA_DIR

SPILL = 1_000
VOLATILE = ("started_at:", "finished_at:")  # the LoadBatch's clock times


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    return load_ontology()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("extracts")
    generate(out, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=150, seed=7)
    files = sorted(p for p in out.glob("*.csv") if p.name not in {"answers.csv", "rtt_answers.csv"})
    # a bad row in the middle of one extract: quarantined with its position in every mode
    victim = next(p for p in files if p.name.startswith("outpatient_appointments"))
    lines = victim.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(5, "not,a,valid,row,at,all,with,too,many,cells,for,the,header,x,y,z,w,v\n")
    victim.write_text("".join(lines), encoding="utf-8")
    return files


def _feeds(extracts: list[Path]) -> list[BulkFeed]:
    hl7_files = sorted((REFERENCE_DATA_DIR / "hl7v2-itk-adt-examples").glob("*.txt"))
    return [
        BulkFeed("csv", trust_csv.outcomes, extracts, extracts, csv_chunks(extracts)),
        BulkFeed("hl7", hl7v2.outcomes, hl7_files, hl7_files),
    ]


def _run(
    ontology: Ontology, extracts: list[Path], tmp: Path, *, workers: int, spill: int
) -> dict[str, Any]:
    ctx = map_context(pseudonymiser=Pseudonymiser(key=b"k", domain="unit"), ontology=ontology)
    evidence: list[Any] = []
    bulk, summaries, chunks = collect(
        _feeds(extracts), ctx, ontology, quarantine_dir=tmp / "q", spill_dir=tmp / "spill",
        workers=workers, spill_rows=spill, identity_sink=evidence.extend,
    )  # fmt: skip
    files = write_files(bulk, chunks, tmp / "import")
    nodes, rels = set(), set()
    for path in files.nodes:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            header = next(rows)
            nodes |= {
                (header[0], row[0], *((h, v) for h, v in zip(header[1:], row[1:], strict=True)
                                      if not h.startswith(VOLATILE)))
                for row in rows
            }  # fmt: skip
    for path in files.relationships:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            header = next(rows)
            rels |= {tuple(zip(header, row, strict=True)) for row in rows}
    quarantine = {
        s.source: [json.loads(x) for x in s.quarantine_file.read_text().splitlines()]
        for _, s in summaries
        if s.quarantine_file is not None
    }
    return {
        "nodes": nodes,
        "rels": rels,
        "node_count": files.node_count,
        "rel_count": files.relationship_count,
        "counts": {src: (s.read, s.loaded, s.quarantined, s.skipped) for src, s in summaries},
        "reconciles": all(s.reconciles for _, s in summaries),
        "quarantine": quarantine,
        # the identity evidence handed to linkage (each item once, whichever process read it)
        "evidence": sorted((e.person_ref["pseudo_id"], e.provider_ods) for e in evidence),
        "peak_held": max([bulk.peak_held, *(c.peak_held for c in chunks)]),
        "runs": sum(len(g.node_runs) + len(g.rel_runs) for g in [bulk, *chunks]),
    }


@pytest.fixture(scope="module")
def in_memory(
    ontology: Ontology, extracts: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One process, nothing spilled before the end: the whole graph in one sorted run."""
    return _run(ontology, extracts, tmp_path_factory.mktemp("big"), workers=1, spill=10**9)


def test_collector_memory_is_bounded_by_its_spill_size(
    ontology: Ontology, extracts: list[Path], in_memory: dict[str, Any], tmp_path: Path
) -> None:
    """At most `spill_rows` events are held in Python at once, however large the input (here
    many times the spill size), and the files are those of collecting it all in memory."""
    assert in_memory["peak_held"] > 10 * SPILL  # the data set is far larger than the bound
    small = _run(ontology, extracts, tmp_path, workers=1, spill=SPILL)
    assert small["peak_held"] <= SPILL
    assert small["runs"] >= 10
    for k in ("nodes", "rels", "node_count", "rel_count", "counts", "quarantine"):
        assert small[k] == in_memory[k], k
    assert len(small["nodes"]) == small["node_count"]  # one row per node, no duplicate IDs


def test_two_workers_give_the_files_and_counts_of_one(
    ontology: Ontology, extracts: list[Path], in_memory: dict[str, Any], tmp_path: Path
) -> None:
    """Worker processes over the extracts' files: the same nodes, relationships (provenance
    of shared reference nodes included), counts, quarantine lines (in the same order) and
    identity evidence for linkage."""
    two = _run(ontology, extracts, tmp_path, workers=2, spill=SPILL)
    assert two["reconciles"] and in_memory["reconciles"]
    assert in_memory["counts"]["csv"][2] >= 1  # the bad row is there to be quarantined
    assert two["counts"] == in_memory["counts"]
    assert two["quarantine"] == in_memory["quarantine"]
    assert len(two["evidence"]) > 100
    assert two["evidence"] == in_memory["evidence"]
    assert two["node_count"] == in_memory["node_count"]
    assert two["rel_count"] == in_memory["rel_count"]
    assert two["nodes"] == in_memory["nodes"]
    assert two["rels"] == in_memory["rels"]
    assert two["peak_held"] <= SPILL
