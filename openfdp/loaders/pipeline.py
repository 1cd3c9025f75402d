"""The load pipeline: outcomes -> validate -> provenance -> batched idempotent writes.

Counts always reconcile: ``read == loaded + quarantined + skipped``. A mapped record whose
rows do not fit the ontology (unknown label, relationship type or property, wrong key) is
quarantined with the reason, never written and never a crash.

Provenance: every node a record owns gets ``-[:DERIVED_FROM]->(:SourceRecord)`` and each
SourceRecord ``-[:IN_BATCH]->(:LoadBatch)``. The batch id is derived from the load's source
name and a fingerprint of its input (:mod:`openfdp.loaders.pipeline_inputs`), so loading
the same input again MERGEs onto the same nodes and changes nothing, and a load killed
half-way and run again ends in the same graph as one clean run. Volatile properties, to
leave out of a graph fingerprint: ``LoadBatch.started_at`` and ``LoadBatch.finished_at``.

Shared reference nodes (coded concepts, organisations, roles, theatres, wards, products) are
emitted by the first record that mentions them in a run (and again only by a record that
carries other properties for them); later records only point at them, so a concept used by
100,000 records does not collect 100,000 provenance links.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openfdp.loaders.amend import apply_amendments
from openfdp.loaders.model import MappedRecord, Outcome, Rejection
from openfdp.loaders.pipeline_batch import REFERENCE_LABELS, RowBatch, buffer_record
from openfdp.loaders.pipeline_inputs import batch_id_for, loader_version
from openfdp.loaders.pipeline_writes import (
    BackgroundWrites,
    IdentitySink,
    RowWriter,
    write_batch_node,
)
from openfdp.loaders.quarantine import QuarantineFile
from openfdp.loaders.validation import OntologyIndex
from openfdp.ontology.model import Ontology
from openfdp.store.amend import GraphAmender
from openfdp.store.writer import GraphWriter

log = logging.getLogger(__name__)

BULK_AMENDMENT = (
    "an amendment (merge, cancel or delete) cannot be bulk-imported; load it with `openfdp load`"
)

Progress = Callable[[int], None]


@dataclass
class LoadSummary:
    source: str
    batch_id: str
    dry_run: bool
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    nodes_written: int = 0
    rels_written: int = 0
    amendments: int = 0  # merges, cancellations and deletions applied (see loaders.amend)
    seconds: float = 0.0
    quarantine_file: Path | None = None
    # opt-outs withdrawn by absence from this load's opt-out extract (None: not applied)
    opt_outs_lifted: int | None = None
    #: waiting-list snapshots: pathways no longer listed, by removal reason (loaders/snapshots.py)
    removed_from_list: dict[str, int] = field(default_factory=dict)

    def add(self, part: LoadSummary) -> None:
        """Add the counts of one part of this load (a chunk mapped by another process)."""
        self.read += part.read
        self.loaded += part.loaded
        self.quarantined += part.quarantined
        self.skipped += part.skipped
        self.nodes_written += part.nodes_written
        self.rels_written += part.rels_written
        self.amendments += part.amendments
        for mine, theirs in ((self.skipped_by_reason, part.skipped_by_reason),
                             (self.quarantined_by_reason, part.quarantined_by_reason)):  # fmt: skip
            for reason, n in theirs.items():
                mine[reason] = mine.get(reason, 0) + n

    @property
    def reconciles(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.skipped

    @property
    def records_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


def _now() -> datetime:
    return datetime.now(UTC)


def run_load(
    driver: Any,
    *,
    source: str,
    outcomes: Iterable[Outcome],
    ontology: Ontology,
    input_fingerprint: str,
    quarantine_dir: Path,
    batch_size: int = 2000,
    identity_sink: IdentitySink | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    database: str = "neo4j",
    job: str | None = None,
    writer: RowWriter | None = None,
) -> LoadSummary:
    """Load `outcomes` (from one reader) and return reconciled counts.

    `driver` is a ``neo4j.Driver`` (unused, may be None, when `dry_run`). `batch_size` counts
    records per write transaction. `identity_sink` receives the identity evidence of each
    batch after it is written (in memory only; linkage attaches its outcome to the persons).
    """
    started = time.perf_counter()
    batch_id = batch_id_for(source, input_fingerprint)
    summary = LoadSummary(source=source, batch_id=batch_id, dry_run=dry_run)
    index = OntologyIndex(ontology)
    job_id = job or uuid.uuid4().hex
    amender = None
    batch_key = {"batch_id": batch_id}
    batch_props = {
        "source": source,
        "ontology_version": str(ontology.version),
        "loader_version": loader_version(),
    }
    if dry_run:
        writer = None
    elif writer is None:
        writer = GraphWriter(
            driver, ontology, database=database, metadata={"job": job_id, "source": source}
        )
    if writer is not None:
        write_batch_node(writer, batch_key, {**batch_props, "started_at": _now()}, batch_id)
    if isinstance(writer, GraphWriter):
        amender = GraphAmender(
            driver, ontology, database=database, metadata={"job": job_id, "source": source}
        )
    seen_refs: set[tuple[str, str, str]] = set()
    buf = RowBatch()
    writes = BackgroundWrites(writer, batch_id, summary, identity_sink)

    def flush() -> None:
        nonlocal buf
        if buf.records:
            writes.submit(buf)
            buf = RowBatch()

    with writes, QuarantineFile(quarantine_dir, source, batch_id) as quarantine:
        for outcome in outcomes:
            summary.read += 1
            if isinstance(outcome, MappedRecord):
                problem = index.check(outcome)
                if (
                    problem is None
                    and outcome.amendments
                    and writer is not None
                    and amender is None
                ):
                    problem = (None, BULK_AMENDMENT)
                if problem is None:
                    buffer_record(buf, outcome, batch_key, seen_refs)
                    summary.loaded += 1
                    if outcome.amendments and amender is not None:
                        flush()  # everything before it, and its own rows, first
                        writes.wait()
                        apply_amendments(amender, outcome, reference_labels=REFERENCE_LABELS)
                        summary.amendments += len(outcome.amendments)
                    elif buf.records >= batch_size:
                        flush()
                else:
                    fld, reason = problem
                    _quarantine(
                        summary,
                        quarantine,
                        source=outcome.source,
                        position=outcome.position,
                        fld=fld,
                        reason=reason,
                    )
            elif isinstance(outcome, Rejection):
                _quarantine(
                    summary,
                    quarantine,
                    source=outcome.source,
                    position=outcome.position,
                    fld=outcome.field,
                    reason=outcome.reason,
                )
            else:
                summary.skipped += 1
                summary.skipped_by_reason[outcome.reason] = (
                    summary.skipped_by_reason.get(outcome.reason, 0) + 1
                )
            if progress is not None:
                progress(1)
        flush()
        writes.wait()
        summary.quarantine_file = quarantine.path if quarantine.count else None
    summary.seconds = time.perf_counter() - started
    if writer is not None:
        counts = {
            "records_read": summary.read,
            "records_loaded": summary.loaded,
            "records_quarantined": summary.quarantined,
            "records_skipped": summary.skipped,
        }
        write_batch_node(
            writer, batch_key, {**batch_props, **counts, "finished_at": _now()}, batch_id
        )
    log.info(
        "load %s batch %s: read=%d loaded=%d quarantined=%d skipped=%d in %.1fs",
        source, batch_id, summary.read, summary.loaded, summary.quarantined, summary.skipped,
        summary.seconds,
    )  # fmt: skip
    return summary


def _quarantine(
    summary: LoadSummary,
    q: QuarantineFile,
    *,
    source: str,
    position: str,
    fld: str | None,
    reason: str,
) -> None:
    summary.quarantined += 1
    summary.quarantined_by_reason[reason] = summary.quarantined_by_reason.get(reason, 0) + 1
    q.add(source=source, position=position, field=fld, reason=reason)
