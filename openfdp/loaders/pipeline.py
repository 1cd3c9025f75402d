"""The load pipeline: outcomes -> validate -> provenance -> batched idempotent writes.

Counts always reconcile: ``read == loaded + quarantined + skipped``. A mapped record whose
rows do not fit the ontology (unknown label, relationship type or property, wrong key) is
quarantined with the reason, never written and never a crash.

Provenance: every node a record owns gets ``-[:DERIVED_FROM]->(:SourceRecord)`` and each
SourceRecord ``-[:IN_BATCH]->(:LoadBatch)``. The batch id is derived from the load's source
name and a fingerprint of its input (see :func:`fingerprint_files`), so loading the same
input again MERGEs onto the same nodes and changes nothing, and a load killed half-way and
run again ends in the same graph as one clean run. Volatile properties, to leave out of a
graph fingerprint: ``LoadBatch.started_at`` and ``LoadBatch.finished_at``.

Shared reference nodes (coded concepts, organisations, roles, theatres, wards, products) are
emitted by the first record that mentions them in a run (and again only by a record that
carries other properties for them); later records only point at them, so a concept used by
100,000 records does not collect 100,000 provenance links.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from openfdp.loaders.amend import apply_amendments
from openfdp.loaders.model import (
    IdentityEvidence,
    MapContext,
    MappedRecord,
    NodeRow,
    Outcome,
    Rejection,
    RelRow,
)
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.quarantine import QuarantineFile
from openfdp.loaders.validation import OntologyIndex
from openfdp.store.amend import GraphAmender
from openfdp.store.writer import (
    GraphWriter,
    NodeShape,
    OntologyLike,
    RelShape,
    Row,
    WriteStats,
)

log = logging.getLogger(__name__)

REFERENCE_LABELS = frozenset(
    {
        "CodedConcept", "Organisation", "NHSTrust", "Site", "ICB", "SubICBLocation", "PCN",
        "GPPractice", "Supplier", "Role", "Theatre", "Ward", "Product",
    }
)  # fmt: skip
#: properties set only when a node is created (linkage owns them afterwards)
CREATE_ONLY = frozenset({"cluster_id"})

BULK_AMENDMENT = (
    "an amendment (merge, cancel or delete) cannot be bulk-imported; load it with `openfdp load`"
)
IdentitySink = Callable[[list[IdentityEvidence]], None]


class RowWriter(Protocol):
    """Where grouped rows go: the graph (:class:`GraphWriter`) or bulk import files
    (:class:`openfdp.store.bulk.BulkGraph`)."""

    def write(
        self,
        nodes: Mapping[NodeShape, list[Row]],
        rels: Mapping[RelShape, list[Row]],
        *,
        batch: str,
    ) -> WriteStats: ...


Progress = Callable[[int], None]


def map_context(
    *, hmac_key: str, domain: str, ontology: OntologyLike, source_ods: str | None = None
) -> MapContext:
    """What every mapper needs: the pseudonymiser (key and domain from settings.privacy)
    and every code list of the ontology."""
    schemes = getattr(ontology, "concept_schemes", {})
    return MapContext(
        pseudonymiser=Pseudonymiser(key=hmac_key.encode(), domain=domain),
        code_lists={name: dict(codes) for name, codes in schemes.items()},
        source_ods=source_ods,
    )


def loader_version() -> str:
    try:
        return metadata.version("openfdp")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def fingerprint_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of the input files, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def batch_id_for(source: str, input_fingerprint: str) -> str:
    return hashlib.sha256(f"{source}|{input_fingerprint}".encode()).hexdigest()[:32]


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

    @property
    def reconciles(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.skipped

    @property
    def records_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


class _Batch:
    """Rows of the records buffered since the last flush, grouped and de-duplicated."""

    def __init__(self) -> None:
        self.nodes: dict[NodeShape, dict[tuple[Any, ...], Row]] = {}
        self.rels: dict[RelShape, dict[tuple[Any, ...], Row]] = {}
        self.identities: list[IdentityEvidence] = []
        self.records = 0

    def node(self, row: NodeRow) -> None:
        shape = NodeShape(row.label, tuple(sorted(row.key)))
        ident = tuple(row.key[k] for k in shape.key)
        props = {k: v for k, v in row.props.items() if k not in CREATE_ONLY}
        create = {k: v for k, v in row.props.items() if k in CREATE_ONLY}
        group = self.nodes.setdefault(shape, {})
        if ident in group:
            group[ident]["props"].update(props)
            group[ident]["create"].update(create)
        else:
            group[ident] = {"key": dict(row.key), "props": props, "create": create}

    def rel(self, row: RelRow) -> None:
        start = NodeShape(row.start_label, tuple(sorted(row.start_key)))
        end = NodeShape(row.end_label, tuple(sorted(row.end_key)))
        shape = RelShape(row.type, start, end)
        ident = tuple(row.start_key[k] for k in start.key) + tuple(row.end_key[k] for k in end.key)
        group = self.rels.setdefault(shape, {})
        if ident in group:
            group[ident]["props"].update(row.props)
        else:
            group[ident] = {
                "start": dict(row.start_key),
                "end": dict(row.end_key),
                "props": dict(row.props),
            }

    def grouped(self) -> tuple[dict[NodeShape, list[Row]], dict[RelShape, list[Row]]]:
        return (
            {s: list(g.values()) for s, g in self.nodes.items()},
            {s: list(g.values()) for s, g in self.rels.items()},
        )


def _now() -> datetime:
    return datetime.now(UTC)


def run_load(
    driver: Any,
    *,
    source: str,
    outcomes: Iterable[Outcome],
    ontology: OntologyLike,
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
        _write_batch_node(writer, batch_key, {**batch_props, "started_at": _now()}, batch_id)
    if isinstance(writer, GraphWriter):
        amender = GraphAmender(
            driver, ontology, database=database, metadata={"job": job_id, "source": source}
        )
    seen_refs: set[tuple[str, str, str]] = set()
    buf = _Batch()
    writes = _Writes(writer, batch_id, summary, identity_sink)

    def flush() -> None:
        nonlocal buf
        if buf.records:
            writes.submit(buf)
            buf = _Batch()

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
                    _buffer(buf, outcome, batch_key, seen_refs)
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
        _write_batch_node(
            writer, batch_key, {**batch_props, **counts, "finished_at": _now()}, batch_id
        )
    log.info(
        "load %s batch %s: read=%d loaded=%d quarantined=%d skipped=%d in %.1fs",
        source, batch_id, summary.read, summary.loaded, summary.quarantined, summary.skipped,
        summary.seconds,
    )  # fmt: skip
    return summary


class _Writes:
    """Writes batches on one background thread, so the next batch is read and mapped while
    Neo4j writes this one. At most one write is in flight (order kept, memory bounded); the
    identity evidence of a batch goes to the sink, on the caller's thread, once it is written.
    """

    def __init__(
        self,
        writer: RowWriter | None,
        batch_id: str,
        summary: LoadSummary,
        sink: IdentitySink | None,
    ) -> None:
        self._writer, self._batch_id, self._summary, self._sink = writer, batch_id, summary, sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openfdp-write")
        self._pending: tuple[Future[WriteStats], list[IdentityEvidence]] | None = None

    def submit(self, buf: _Batch) -> None:
        if self._writer is None:
            return
        nodes, rels = buf.grouped()
        self.wait()
        future = self._pool.submit(self._writer.write, nodes, rels, batch=self._batch_id)
        self._pending = (future, buf.identities)

    def wait(self) -> None:
        if self._pending is None:
            return
        future, identities = self._pending
        self._pending = None
        stats = future.result()
        self._summary.nodes_written += stats.node_rows
        self._summary.rels_written += stats.rel_rows
        if self._sink is not None and identities:
            self._sink(identities)

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, et: type[BaseException] | None, *exc: object) -> None:
        try:
            if et is None:
                self.wait()
            elif self._pending is not None:  # failing anyway: let the write end, keep the cause
                self._pending[0].exception()
        finally:
            self._pool.shutdown(wait=True)


def _write_batch_node(
    writer: RowWriter, key: dict[str, str], props: dict[str, Any], batch_id: str
) -> None:
    shape = NodeShape("LoadBatch", ("batch_id",))
    writer.write({shape: [{"key": key, "props": props, "create": {}}]}, {}, batch=batch_id)


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


def _buffer(
    buf: _Batch,
    rec: MappedRecord,
    batch_key: Mapping[str, str],
    seen_refs: set[tuple[str, str, str]],
) -> None:
    src_key = {"source_record_id": f"{rec.source}:{rec.record_key}"}
    buf.node(
        NodeRow(
            "SourceRecord",
            src_key,
            {"source": rec.source, "record_key": rec.record_key, "content_hash": rec.content_hash},
        )
    )
    buf.rel(RelRow("IN_BATCH", "SourceRecord", src_key, "LoadBatch", dict(batch_key)))
    for node in rec.nodes:
        if node.label in REFERENCE_LABELS:
            # the same reference with the same properties again adds nothing; with other
            # properties (e.g. a name the first mention lacked) it is written again
            ref = (node.label, repr(sorted(node.key.items())), repr(sorted(node.props.items())))
            if ref in seen_refs:
                continue
            seen_refs.add(ref)
        buf.node(node)
        buf.rel(RelRow("DERIVED_FROM", node.label, node.key, "SourceRecord", src_key))
    for rel in rec.rels:
        buf.rel(rel)
    buf.identities.extend(rec.identities)
    buf.records += 1
