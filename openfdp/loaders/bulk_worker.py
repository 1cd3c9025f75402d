"""One chunk of a feed read, validated, pseudonymised and mapped in a worker process of
``openfdp db import --workers N`` (the parent side is :mod:`openfdp.loaders.bulk_parallel`).

A chunk is a run of the pipeline over part of a feed's input (whole files, in the feed's
file order) without the ``LoadBatch`` node, which the parent writes around the chunks: each
record is checked as :func:`~openfdp.loaders.pipeline.run_load` checks it (ontology fit, no
amendments in a bulk import), buffered by the same :func:`buffer_record` into a
:class:`~openfdp.store.bulk_spill.BulkGraph` spilling to run files, and quarantined with
its source position otherwise. The first mention of a shared reference node in the chunk
is a *candidate* (tagged with the feed and the reference's signature): the merge keeps the
feed's first one, as one process reading the whole feed would. Identity evidence and
progress go to the parent through a queue (in memory only: evidence holds raw identifiers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openfdp.loaders.model import IdentityEvidence, MapContext, MappedRecord, Outcome, Rejection
from openfdp.loaders.pipeline import BULK_AMENDMENT, LoadSummary
from openfdp.loaders.pipeline_batch import RowBatch, buffer_record
from openfdp.loaders.quarantine import QuarantineFile
from openfdp.loaders.validation import OntologyIndex
from openfdp.ontology import load_ontology
from openfdp.ontology.model import Ontology
from openfdp.store.bulk_spill import BulkGraph

Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]
SEND_EVERY = 1000  # records between progress messages; evidence items per message

_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class ChunkTask:
    index: int  # the chunk's part of the sequence (orders it among all chunks)
    feed: int
    source: str
    reader: Reader
    paths: list[Path]
    batch_id: str
    work_dir: Path
    spill_rows: int


@dataclass
class ChunkResult:
    index: int
    counts: LoadSummary  # this chunk's part of the load's counts and its quarantine file
    node_runs: list[Path] = field(default_factory=list)
    rel_runs: list[Path] = field(default_factory=list)
    peak_held: int = 0
    peak_rss_kib: int = 0


def peak_rss_kib() -> int:
    """This process's peak resident set size (KiB; 0 where ``resource`` does not exist)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only
    except ImportError:
        return 0
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class _Seen(set[tuple[str, str, str]]):
    """The pipeline's set of references seen, recording the ones added by one record."""

    def __init__(self) -> None:
        super().__init__()
        self.new: list[tuple[str, str, str]] = []

    def add(self, item: tuple[str, str, str]) -> None:
        super().add(item)
        self.new.append(item)


def init_worker(ctx: MapContext, queue: Any, send_evidence: bool, version: str) -> None:
    """Pool initializer: the packaged ontology (the parent's version), context and queue."""
    ontology = load_ontology()
    if str(ontology.version) != version:
        raise RuntimeError(f"worker ontology {ontology.version} is not the parent's {version}")
    _STATE.update(ontology=ontology, index=OntologyIndex(ontology), ctx=ctx, queue=queue,
                  send_evidence=send_evidence)  # fmt: skip


def run_chunk(task: ChunkTask) -> ChunkResult:
    """Map one chunk into run files; its counts, quarantine file and runs."""
    ontology: Ontology = _STATE["ontology"]
    res = map_chunk(task, ontology, _STATE["index"], _STATE["ctx"], _STATE["queue"],
                    send_evidence=_STATE["send_evidence"])  # fmt: skip
    res.peak_rss_kib = peak_rss_kib()
    _STATE["queue"].put(("done", task.index))
    return res


def map_chunk(
    task: ChunkTask,
    ontology: Ontology,
    index: OntologyIndex,
    ctx: MapContext,
    queue: Any,
    *,
    send_evidence: bool,
) -> ChunkResult:
    res = ChunkResult(task.index, LoadSummary(task.source, task.batch_id, dry_run=False))
    counts = res.counts
    graph = BulkGraph(ontology, task.work_dir / f"chunk-{task.index}", index=task.index,
                      spill_rows=task.spill_rows)  # fmt: skip
    seen = _Seen()
    batch_key = {"batch_id": task.batch_id}
    evidence: list[IdentityEvidence] = []
    qdir = task.work_dir / f"quarantine-{task.index}"
    with QuarantineFile(qdir, task.source, task.batch_id) as quarantine:
        for outcome in task.reader(task.paths, ctx):
            counts.read += 1
            problem: tuple[str | None, str] | None = None
            if isinstance(outcome, MappedRecord):
                problem = index.check(outcome)
                if problem is None and outcome.amendments:
                    problem = (None, BULK_AMENDMENT)
                if problem is None:
                    _write(graph, outcome, batch_key, seen, task, res)
                    evidence.extend(outcome.identities)
                    counts.loaded += 1
                else:
                    _count(counts.quarantined_by_reason, problem[1])
                    quarantine.add(source=outcome.source, position=outcome.position,
                                   field=problem[0], reason=problem[1])  # fmt: skip
            elif isinstance(outcome, Rejection):
                _count(counts.quarantined_by_reason, outcome.reason)
                quarantine.add(source=outcome.source, position=outcome.position,
                               field=outcome.field, reason=outcome.reason)  # fmt: skip
            else:
                counts.skipped += 1
                _count(counts.skipped_by_reason, outcome.reason)
            if counts.read % SEND_EVERY == 0:
                queue.put(("read", SEND_EVERY))
                if send_evidence and evidence:
                    queue.put(("evidence", evidence))
                evidence = []
        counts.quarantined = quarantine.count
        counts.quarantine_file = quarantine.path if quarantine.count else None
    queue.put(("read", counts.read % SEND_EVERY))
    if send_evidence and evidence:
        queue.put(("evidence", evidence))
    res.node_runs, res.rel_runs = graph.finish()
    res.peak_held = graph.peak_held
    return res


def _count(counts: dict[str, int], reason: str) -> None:
    counts[reason] = counts.get(reason, 0) + 1


def _write(  # noqa: PLR0917
    graph: BulkGraph,
    rec: MappedRecord,
    batch_key: dict[str, str],
    seen: _Seen,
    task: ChunkTask,
    res: ChunkResult,
) -> None:
    """One record's rows (with its provenance) into the graph, references as candidates."""
    buf = RowBatch()
    seen.new.clear()
    buffer_record(buf, rec, batch_key, seen)
    cands = {}
    for label, key, props in seen.new:
        tag = hashlib.blake2b(f"{label}|{key}|{props}".encode(), digest_size=12).hexdigest()
        cands[(label, key)] = (f"{task.feed}:{tag}", (task.index << 32) + res.counts.read)
    nodes, rels = buf.grouped()
    stats = graph.write(nodes, rels, cands=cands, cand_type="DERIVED_FROM")
    res.counts.nodes_written += stats.node_rows
    res.counts.rels_written += stats.rel_rows
