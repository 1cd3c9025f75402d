"""Bulk backfill of an empty database: the incremental pipeline's records, written by
``neo4j-admin database import full`` instead of transactions.

Every feed runs through the same :func:`~openfdp.loaders.pipeline.run_load` (reading,
validation, pseudonymisation, mapping, quarantine, reconciled counts, provenance and the
``LoadBatch`` node, linkage evidence), with a :class:`~openfdp.store.bulk.BulkGraph` as its
writer. The code-list concepts of the ontology are seeded first, as ``openfdp ontology
apply`` would have written them before an incremental load. Then the files are written, the
local server is stopped, the import runs, the server starts again and the ontology is applied
(constraints, indexes, the recorded version). The result is the graph the incremental loads
of the same feeds give (tests/integration/test_bulk_load.py compares fingerprints).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files
from openfdp.loaders.pipeline_writes import IdentitySink
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.bulk import BulkFiles, BulkGraph
from openfdp.store.bulk_import import run_import, set_empty_lists
from openfdp.store.driver import open_driver
from openfdp.store.errors import StoreError
from openfdp.store.fingerprint import graph_counts
from openfdp.store.schema import apply_ontology, concept_rows
from openfdp.store.writer import NodeShape

Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]
Step = Callable[[str], None]


class DatabaseNotEmpty(StoreError):
    """Bulk import replaces the store: refused unless the database is empty."""


@dataclass(frozen=True)
class BulkFeed:
    source: str  # "csv", "fhir", "ods", "hl7"
    reader: Reader
    paths: list[Path]
    files: list[Path]  # the input files, for the batch fingerprint


@dataclass
class BulkResult:
    summaries: list[tuple[str, LoadSummary]] = field(default_factory=list)
    files: BulkFiles | None = None
    map_seconds: float = 0.0
    import_seconds: float = 0.0
    schema_seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(s.read for _, s in self.summaries)

    @property
    def seconds(self) -> float:
        return self.map_seconds + self.import_seconds + self.schema_seconds


def _quiet(_: str) -> None:
    return None


def collect(
    feeds: Sequence[BulkFeed],
    ctx: MapContext,
    ontology: Ontology,
    *,
    quarantine_dir: Path,
    identity_sink: IdentitySink | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[BulkGraph, list[tuple[str, LoadSummary]]]:
    """Run every feed through the pipeline into one in-memory bulk graph."""
    bulk = BulkGraph(ontology)
    concepts = [
        {"key": {"system": r["system"], "code": r["code"]}, "props": {"display": r["display"]}}
        for r in concept_rows(ontology)
    ]
    if concepts:
        bulk.write({NodeShape("CodedConcept", ("code", "system")): concepts}, {}, batch="ontology")
    summaries = []
    for feed in feeds:
        summary = run_load(
            None,
            source=feed.source,
            outcomes=feed.reader(list(feed.paths), ctx),
            ontology=ontology,
            input_fingerprint=fingerprint_files(feed.files),
            quarantine_dir=quarantine_dir,
            identity_sink=identity_sink,
            progress=progress,
            writer=bulk,
        )
        summaries.append((feed.source, summary))
    return bulk, summaries


def ensure_empty(settings: Settings) -> None:
    """Refuse when the local database holds anything (the import would replace it)."""
    with open_driver(settings) as driver:
        counts = graph_counts(driver, settings.neo4j.database)
    if counts["nodes"]:
        raise DatabaseNotEmpty(
            f"the database holds {counts['nodes']:,} nodes; bulk import is for an empty "
            "database (load into it with `openfdp load`, or empty it first)"
        )


def bulk_load(
    settings: Settings,
    ontology: Ontology,
    feeds: Sequence[BulkFeed],
    ctx: MapContext,
    *,
    work_dir: Path,
    quarantine_dir: Path,
    identity_sink: IdentitySink | None = None,
    step: Step = _quiet,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Map every feed, import the files into the stopped local server, start it, apply schema."""
    result = BulkResult()
    step("checking that the database is empty")
    local_server.start(settings)
    ensure_empty(settings)
    t0 = time.perf_counter()
    step("reading, validating and mapping")
    bulk, result.summaries = collect(
        feeds, ctx, ontology, quarantine_dir=quarantine_dir,
        identity_sink=identity_sink, progress=progress,
    )  # fmt: skip
    shutil.rmtree(work_dir, ignore_errors=True)
    result.files = bulk.write_csv(work_dir)
    result.map_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    step(f"importing {result.files.node_count:,} nodes, {result.files.relationship_count:,} rels")
    local_server.stop(settings)
    try:
        run_import(settings, result.files)
    finally:
        local_server.start(settings)
    result.import_seconds = time.perf_counter() - t1
    t2 = time.perf_counter()
    step("applying the ontology's constraints and indexes")
    with open_driver(settings) as driver:
        apply_ontology(driver, ontology, settings.neo4j.database)
        set_empty_lists(driver, result.files, settings.neo4j.database)
    result.schema_seconds = time.perf_counter() - t2
    shutil.rmtree(work_dir, ignore_errors=True)
    return result
