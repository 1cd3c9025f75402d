"""Where a load's grouped rows go and how: the :class:`RowWriter` protocol (the graph or bulk
import files), the ``LoadBatch`` node write, and :class:`BackgroundWrites`, which writes
batches on one background thread so the next batch is read and mapped while this one is
written, with at most one write in flight and the identity evidence handed to the sink
once its batch is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.pipeline_batch import RowBatch
from openfdp.store.writer import NodeShape, RelShape, Row, WriteStats

if TYPE_CHECKING:
    from openfdp.loaders.pipeline import LoadSummary

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


class BackgroundWrites:
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

    def submit(self, buf: RowBatch) -> None:
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

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, et: type[BaseException] | None, *exc: object) -> None:
        try:
            if et is None:
                self.wait()
            elif self._pending is not None:  # failing anyway: let the write end, keep the cause
                self._pending[0].exception()
        finally:
            self._pool.shutdown(wait=True)


def write_batch_node(
    writer: RowWriter, key: dict[str, str], props: dict[str, Any], batch_id: str
) -> None:
    shape = NodeShape("LoadBatch", ("batch_id",))
    writer.write({shape: [{"key": key, "props": props, "create": {}}]}, {}, batch=batch_id)
