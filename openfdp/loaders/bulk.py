"""Bulk backfill of an empty database: the incremental pipeline's records, written by
``neo4j-admin database import full`` instead of transactions.

With one worker every feed runs through the same :func:`~openfdp.loaders.pipeline.run_load`
(reading, validation, pseudonymisation, mapping, quarantine, reconciled counts, provenance
and the ``LoadBatch`` node, linkage evidence), with a
:class:`~openfdp.store.bulk_spill.BulkGraph` as its writer; with more, the feeds' chunks
are mapped by worker processes (:mod:`openfdp.loaders.bulk_parallel`) with the same checks
and counts. The code-list concepts of the ontology are seeded first, as ``openfdp ontology
apply`` would have written them before an incremental load. The collectors spill their rows
to sorted run files, so memory does not grow with the input; the runs are merged into the
import files (:mod:`openfdp.store.bulk_merge`), the local server is stopped, the import
runs, the server starts again and the ontology is applied (constraints, indexes, the
recorded version). The result is the graph the incremental loads of the same feeds give
(tests/integration/test_bulk_load.py compares fingerprints).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openfdp.loaders.bulk_parallel import BulkFeed, collect_parallel, csv_chunks
from openfdp.loaders.bulk_worker import ChunkResult, peak_rss_kib
from openfdp.loaders.model import MapContext
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files
from openfdp.loaders.pipeline_writes import IdentitySink
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.bulk import BulkFiles
from openfdp.store.bulk_import import run_import, set_empty_lists, unfinished_marker
from openfdp.store.bulk_merge import write_import_files
from openfdp.store.bulk_spill import SPILL_ROWS, BulkGraph
from openfdp.store.driver import open_driver
from openfdp.store.errors import ServerSetupError, StoreError
from openfdp.store.fingerprint import graph_counts
from openfdp.store.schema import apply_ontology, concept_rows
from openfdp.store.writer import NodeShape

Step = Callable[[str], None]

__all__ = [
    "BulkFeed", "BulkResult", "DatabaseNotEmpty", "bulk_load", "collect", "csv_chunks",
    "write_files",
]  # fmt: skip


class DatabaseNotEmpty(StoreError):
    """Bulk import replaces the store: refused unless the database is empty."""


@dataclass
class BulkResult:
    summaries: list[tuple[str, LoadSummary]] = field(default_factory=list)
    files: BulkFiles | None = None
    map_seconds: float = 0.0
    import_seconds: float = 0.0
    schema_seconds: float = 0.0
    workers: int = 1
    #: the most events the collectors held in memory at once (each bounded by spill_rows)
    peak_held: int = 0
    #: peak RSS (KiB) of this process and of the largest worker, after the mapping
    map_rss_kib: int = 0
    worker_rss_kib: int = 0

    @property
    def records(self) -> int:
        return sum(s.read for _, s in self.summaries)

    @property
    def map_rate(self) -> float:
        """Records read, validated, pseudonymised, mapped and merged into files per second."""
        return self.records / self.map_seconds if self.map_seconds else 0.0

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
    spill_dir: Path,
    identity_sink: IdentitySink | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    spill_rows: int = SPILL_ROWS,
) -> tuple[BulkGraph, list[tuple[str, LoadSummary]], list[ChunkResult]]:
    """Run every feed through the pipeline into run files under `spill_dir`: in this
    process with ``workers=1``, else the feeds' chunks in `workers` processes."""
    bulk = BulkGraph(ontology, spill_dir / "main", spill_rows=spill_rows)
    concepts = [
        {"key": {"system": r["system"], "code": r["code"]}, "props": {"display": r["display"]}}
        for r in concept_rows(ontology)
    ]
    if concepts:
        bulk.write({NodeShape("CodedConcept", ("code", "system")): concepts}, {}, batch="ontology")
    if workers > 1:
        summaries, chunks = collect_parallel(
            feeds, ctx, ontology, bulk, workers=workers, work_dir=spill_dir,
            quarantine_dir=quarantine_dir, identity_sink=identity_sink, progress=progress,
        )  # fmt: skip
        bulk.finish()
        return bulk, summaries, chunks
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
    bulk.finish()
    return bulk, summaries, []


def write_files(bulk: BulkGraph, chunks: Sequence[ChunkResult], folder: Path) -> BulkFiles:
    """The import files of what `collect` gathered (the runs merged, streaming)."""
    node_runs = [*bulk.node_runs, *(r for c in chunks for r in c.node_runs)]
    rel_runs = [*bulk.rel_runs, *(r for c in chunks for r in c.rel_runs)]
    return write_import_files(folder, node_runs, rel_runs)


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
    workers: int = 1,
    spill_rows: int = SPILL_ROWS,
) -> BulkResult:
    """Map every feed (in `workers` processes), merge the import files, import them into the
    stopped local server, start it, apply the schema."""
    result = BulkResult(workers=max(1, workers))
    step("checking that the database is empty")
    unfinished = unfinished_marker(settings)
    if unfinished.exists():  # only what a killed bulk import wrote: replaced by this one
        step("an earlier bulk import into this database did not finish: importing over it")
    elif local_server.never_started(settings):  # no store yet: empty, no server start needed
        local_server.prepare_home(settings)
    else:
        local_server.start(settings)
        ensure_empty(settings)
    t0 = time.perf_counter()
    step(f"reading, validating and mapping ({result.workers} process(es))")
    shutil.rmtree(work_dir, ignore_errors=True)
    bulk, result.summaries, chunks = collect(
        feeds, ctx, ontology, quarantine_dir=quarantine_dir, spill_dir=work_dir / "spill",
        identity_sink=identity_sink, progress=progress, workers=result.workers,
        spill_rows=spill_rows,
    )  # fmt: skip
    step("merging into import files")
    result.files = write_files(bulk, chunks, work_dir / "import")
    shutil.rmtree(work_dir / "spill", ignore_errors=True)
    result.peak_held = max([bulk.peak_held, *(c.peak_held for c in chunks)])
    result.map_rss_kib = peak_rss_kib()
    result.worker_rss_kib = max([0, *(c.peak_rss_kib for c in chunks)])
    result.map_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    step(f"importing {result.files.node_count:,} nodes, {result.files.relationship_count:,} rels")
    unfinished.parent.mkdir(parents=True, exist_ok=True)
    unfinished.write_text("bulk import started; the schema not yet applied\n")
    local_server.stop(settings)
    try:
        run_import(settings, result.files)
    except ServerSetupError:  # refused: its store files were removed, the database is empty
        unfinished.unlink(missing_ok=True)
        raise
    finally:
        local_server.start(settings)
    result.import_seconds = time.perf_counter() - t1
    t2 = time.perf_counter()
    step("applying the ontology's constraints and indexes")
    with open_driver(settings) as driver:
        apply_ontology(driver, ontology, settings.neo4j.database)
        set_empty_lists(driver, result.files, settings.neo4j.database)
    unfinished.unlink()
    result.schema_seconds = time.perf_counter() - t2
    shutil.rmtree(work_dir, ignore_errors=True)
    return result
