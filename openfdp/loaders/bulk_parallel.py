"""``openfdp db import --workers N``: the feeds' chunks mapped by N worker processes.

The parent numbers the parts of the sequence the merge orders by (the ontology's concepts;
per feed its ``LoadBatch`` start, its chunks in file order, its ``LoadBatch`` end with the
counts), hands the chunks to a pool of spawned processes (:mod:`openfdp.loaders.bulk_worker`),
feeds the identity evidence and progress they send to the caller as it comes, and, once all
are done, adds up each feed's counts and joins its chunks' quarantine files in chunk order
into the file one process would have written. A feed is split only where its reader allows
it (trust CSV extracts: whole files); the other feeds are one chunk each (FHIR resolves
references across files; ODS and HL7 name positions by the folder given).
"""

from __future__ import annotations

import multiprocessing
import queue as queue_mod
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openfdp.loaders.bulk_worker import ChunkResult, ChunkTask, init_worker, run_chunk
from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.pipeline import LoadSummary
from openfdp.loaders.pipeline_inputs import batch_id_for, fingerprint_files, loader_version
from openfdp.loaders.pipeline_writes import IdentitySink, write_batch_node
from openfdp.loaders.quarantine import QuarantineFile
from openfdp.loaders.readers import trust_csv
from openfdp.ontology.model import Ontology
from openfdp.store.bulk_spill import BulkGraph

Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]


@dataclass(frozen=True)
class BulkFeed:
    """A feed of a bulk import: `paths` as given, `files` for the batch fingerprint, and the
    `chunks` workers may map apart (lists of paths in the feed's order; None: one chunk)."""

    source: str  # "csv", "fhir", "ods", "hl7"
    reader: Reader
    paths: list[Path]
    files: list[Path]
    chunks: list[list[Path]] | None = None


def csv_chunks(paths: Sequence[Path]) -> list[list[Path]]:
    """The trust CSV extracts in `paths` as chunks of one file each, in the feed's order."""
    return [[path] for path, _ in trust_csv.plan(paths)]


def _summary(source: str, batch_id: str, parts: list[ChunkResult]) -> LoadSummary:
    s = LoadSummary(source=source, batch_id=batch_id, dry_run=False)
    for r in parts:
        s.add(r.counts)
    return s


def _join_quarantine(
    quarantine_dir: Path, source: str, batch_id: str, parts: list[ChunkResult]
) -> Path | None:
    with QuarantineFile(quarantine_dir, source, batch_id) as q:  # removes an older file
        path = q.path
    written = [r.counts.quarantine_file for r in parts if r.counts.quarantine_file is not None]
    if not written:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for part in written:
            with part.open("rb") as fh:
                shutil.copyfileobj(fh, out)
    return path


def _size(task: ChunkTask) -> int:
    files = [f for p in task.paths for f in ([p] if p.is_file() else p.rglob("*"))]
    return sum(f.stat().st_size for f in files if f.is_file())


def _run_pool(  # noqa: PLR0917
    tasks: list[ChunkTask],
    ctx: MapContext,
    ontology: Ontology,
    workers: int,
    sink: IdentitySink | None,
    progress: Callable[[int], None] | None,
) -> dict[int, ChunkResult]:
    spawn = multiprocessing.get_context("spawn")
    messages: Any = spawn.Queue(maxsize=64)
    done: set[int] = set()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=spawn, initializer=init_worker,
        initargs=(ctx, messages, sink is not None, str(ontology.version)),
    ) as pool:  # fmt: skip
        # the largest chunks first, so no large one is left for last (the order of the graph
        # is the tasks' indices, not the order they run in)
        futures: list[Future[ChunkResult]] = [
            pool.submit(run_chunk, t) for t in sorted(tasks, key=_size, reverse=True)
        ]
        while len(done) < len(tasks):
            try:
                kind, value = messages.get(timeout=0.5)
            except queue_mod.Empty:
                failed = [f for f in futures if f.done() and f.exception() is not None]
                if failed:
                    failed[0].result()  # raises the worker's error
                continue
            if kind == "done":
                done.add(value)
            elif kind == "read" and progress is not None:
                progress(value)
            elif kind == "evidence" and sink is not None:
                sink(value)
        return {r.index: r for r in (f.result() for f in futures)}


def collect_parallel(
    feeds: Sequence[BulkFeed],
    ctx: MapContext,
    ontology: Ontology,
    parent: BulkGraph,
    *,
    workers: int,
    work_dir: Path,
    quarantine_dir: Path,
    identity_sink: IdentitySink | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[tuple[str, LoadSummary]], list[ChunkResult]]:
    """Map `feeds` in `workers` processes; `parent` (at part 0, the ontology's concepts
    already written) gets the ``LoadBatch`` rows. The summaries and the chunks' results."""
    tasks: list[ChunkTask] = []
    plan: list[tuple[BulkFeed, str, int, list[int]]] = []  # feed, batch id, end part, chunks
    part = 1
    started = datetime.now(UTC)
    for n, feed in enumerate(feeds):
        batch_id = batch_id_for(feed.source, fingerprint_files(feed.files))
        first = {"source": feed.source, "ontology_version": str(ontology.version),
                 "loader_version": loader_version(), "started_at": started}  # fmt: skip
        parent.at(part)
        write_batch_node(parent, {"batch_id": batch_id}, first, batch_id)
        chunks = feed.chunks if feed.chunks is not None else [list(feed.paths)]
        mine = []
        for paths in chunks:
            part += 1
            mine.append(part)
            tasks.append(ChunkTask(part, n, feed.source, feed.reader, list(paths), batch_id,
                                   work_dir, parent.spill_rows))  # fmt: skip
        plan.append((feed, batch_id, part + 1, mine))
        part += 2
    t0 = time.perf_counter()
    results = _run_pool(tasks, ctx, ontology, workers, identity_sink, progress)
    seconds = time.perf_counter() - t0
    summaries = []
    for feed, batch_id, end, mine in plan:
        parts = [results[i] for i in mine]
        summary = _summary(feed.source, batch_id, parts)
        summary.seconds = seconds
        summary.quarantine_file = _join_quarantine(quarantine_dir, feed.source, batch_id, parts)
        props: dict[str, Any] = {
            "source": feed.source, "ontology_version": str(ontology.version),
            "loader_version": loader_version(), "records_read": summary.read,
            "records_loaded": summary.loaded, "records_quarantined": summary.quarantined,
            "records_skipped": summary.skipped, "finished_at": datetime.now(UTC),
        }  # fmt: skip
        parent.at(end)
        write_batch_node(parent, {"batch_id": batch_id}, props, batch_id)
        summaries.append((feed.source, summary))
    return summaries, list(results.values())
