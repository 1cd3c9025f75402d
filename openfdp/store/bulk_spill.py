"""The bulk collector: the rows of a load as events, spilled to sorted run files on disk.

:class:`BulkGraph` takes the grouped rows of :class:`~openfdp.store.writer.GraphWriter`'s
interface and turns each into an event with a sequence number (the order the rows were
written in): a node row, a relationship end (a key-only node if nothing came first) or a
relationship row. At most ``spill_rows`` events are held; then they are sorted by
(identity, sequence), consecutive events of one identity are combined (``SET +=`` composes
as a dict update that keeps nulls as removals) and written as one run file. The merge of the
runs (:mod:`openfdp.store.bulk_merge`) folds each identity's events in sequence order.

Sequence numbers: ``index << 48`` plus a counter, where `index` orders the collectors' parts
(:meth:`BulkGraph.at`): the ontology's concepts, then per feed its ``LoadBatch`` start, its
chunks of input in file order, its ``LoadBatch`` end. One run holds a contiguous range of one
part's sequence, so combining inside a run never skips another part's event.

A *candidate* event is conditional: the first mention of a shared reference node in a
chunk of a feed read by a separate worker, with its ``DERIVED_FROM`` relationship. The merge
keeps the first candidate of a feed for each (node, properties) and drops the others, which
is what one process reading the whole feed would have written.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from openfdp.ontology.model import Ontology
from openfdp.store.bulk import node_ident
from openfdp.store.writer import NodeShape, RelShape, Row, WriteStats, key_root, labels_of

SPILL_ROWS = 200_000  # events held before a run is written (~100-200 MB of Python objects)
BLOCK = 256  # events per pickled block of a run file (what a merge holds per run)
PART_BITS = 48

#: a candidate's tag (feed and reference signature) and its record (part, record number)
Cand = tuple[str, int]
#: (ident, seq, first is a row, first labels, key, create, row labels, delta, cand)
NodeEvent = tuple[str, int, bool, tuple[str, ...], dict[str, Any], dict[str, Any],
                  frozenset[str], dict[str, Any], Cand | None]  # fmt: skip
#: (type + ends, seq, type, start ident, end ident, delta, cand)
RelEvent = tuple[str, int, str, str, str, dict[str, Any], Cand | None]
BY_ID = itemgetter(0, 1)
NO_LABELS: frozenset[str] = frozenset()


def compose_node(a: NodeEvent, b: NodeEvent) -> NodeEvent:
    """`a` then `b` (later) of one node: `a`'s creation, both rows' labels, `b` wins."""
    return (a[0], a[1], a[2], a[3], a[4], a[5], a[6] | b[6], {**a[7], **b[7]}, None)


def compose_rel(a: RelEvent, b: RelEvent) -> RelEvent:
    return (a[0], a[1], a[2], a[3], a[4], {**a[5], **b[5]}, None)


def dump_run(path: Path, events: Iterable[Any]) -> None:
    """Write events as pickled blocks of `BLOCK` (read back one block at a time)."""
    with path.open("wb") as fh:
        block: list[Any] = []
        for ev in events:
            block.append(ev)
            if len(block) >= BLOCK:
                pickle.dump(block, fh, protocol=pickle.HIGHEST_PROTOCOL)
                block = []
        if block:
            pickle.dump(block, fh, protocol=pickle.HIGHEST_PROTOCOL)


def read_run(path: Path) -> Iterator[Any]:
    with path.open("rb") as fh:
        while True:
            try:
                block = pickle.load(fh)  # noqa: S301 - our own run files, written just before
            except EOFError:
                return
            yield from block


def _combined(events: list[Any], compose: Any) -> list[Any]:
    """Sorted events with consecutive non-candidate events of one identity composed."""
    events.sort(key=BY_ID)
    out: list[Any] = []
    for ev in events:
        last = out[-1] if out else None
        if last is not None and last[0] == ev[0] and last[-1] is None and ev[-1] is None:
            out[-1] = compose(last, ev)
        else:
            out.append(ev)
    return out


class BulkGraph:
    """Collects the rows of loads as spilled runs; a drop-in for ``GraphWriter.write``."""

    def __init__(
        self, ontology: Ontology, spill_dir: Path, *, index: int = 0, spill_rows: int = SPILL_ROWS
    ) -> None:
        self._ontology = ontology
        self._dir = spill_dir
        spill_dir.mkdir(parents=True, exist_ok=True)
        self.spill_rows = spill_rows
        self._root: dict[NodeShape, tuple[str, frozenset[str]]] = {}
        self._nodes: list[NodeEvent] = []
        self._rels: list[RelEvent] = []
        self._seq = index << PART_BITS
        self.node_runs: list[Path] = []
        self.rel_runs: list[Path] = []
        self.events = 0  # events taken in
        self.peak_held = 0  # the most events held in memory at once

    def at(self, index: int) -> None:
        """Continue at part `index` of the sequence (what is held is spilled first)."""
        self.spill()
        self._seq = index << PART_BITS

    # -- identity ------------------------------------------------------------------------
    def _shape(self, shape: NodeShape) -> tuple[str, frozenset[str]]:
        found = self._root.get(shape)
        if found is None:
            chain = labels_of(self._ontology, shape.label)
            found = (key_root(self._ontology, shape), frozenset(chain))
            self._root[shape] = found
        return found

    # -- the writer's interface ------------------------------------------------------------
    def check_schema(self, shapes: Sequence[NodeShape]) -> None:
        """Nothing to check: the constraints are created after the import."""
        for shape in shapes:
            labels_of(self._ontology, shape.label)  # an unknown label fails here as in the writer

    def write(
        self,
        nodes: Mapping[NodeShape, Sequence[Row]],
        rels: Mapping[RelShape, Sequence[Row]],
        *,
        batch: str = "",
        cands: Mapping[tuple[str, str], Cand] | None = None,
        cand_type: str = "",
    ) -> WriteStats:
        """Take rows in the writer's order: node rows, relationship ends, relationships.
        `cands` marks candidate rows: (label, ``repr(sorted(key.items()))``) -> tag; the
        relationships of type `cand_type` from such a node are candidates with it."""
        del batch  # the batch is recorded by the LoadBatch rows themselves
        before = self._seq
        held_nodes, held_rels, limit = self._nodes, self._rels, self.spill_rows
        shape_of = self._shape
        here: set[str] = set()  # identities with an earlier event in this call
        for shape, rows in nodes.items():
            root, labels = shape_of(shape)
            first = tuple(labels)
            tags = cands if cands and any(k[0] == shape.label for k in cands) else None
            for row in rows:
                key = row["key"]
                cand = tags.get((shape.label, repr(sorted(key.items())))) if tags else None
                ident = node_ident(root, shape.key, key)
                here.add(ident)
                self._seq += 1
                held_nodes.append((ident, self._seq, True, first, key, row.get("create") or {},
                                   labels, row["props"], cand))  # fmt: skip
                if len(held_nodes) + len(held_rels) >= limit:
                    self.spill()
        for rshape, rows in rels.items():
            for side in (rshape.start, rshape.end):
                root, labels = shape_of(side)
                first = tuple(labels)
                which = "start" if side is rshape.start else "end"
                for row in rows:
                    end = row[which]
                    ident = node_ident(root, side.key, end)
                    if ident in here:  # a later relationship end of a node: no effect
                        continue
                    here.add(ident)
                    self._seq += 1
                    held_nodes.append((ident, self._seq, False, first, end, {}, NO_LABELS, {},
                                       None))  # fmt: skip
                    if len(held_nodes) + len(held_rels) >= limit:
                        self.spill()
        for rshape, rows in rels.items():
            s_root, _ = shape_of(rshape.start)
            e_root, _ = shape_of(rshape.end)
            tagged = cands if cands and rshape.type == cand_type else None
            for row in rows:
                start = row["start"]
                a = node_ident(s_root, rshape.start.key, start)
                b = node_ident(e_root, rshape.end.key, row["end"])
                cand = (
                    tagged.get((rshape.start.label, repr(sorted(start.items()))))
                    if tagged
                    else None
                )
                self._seq += 1
                held_rels.append((f"{rshape.type}\x00\x00{a}\x00\x00{b}", self._seq,
                                  rshape.type, a, b, row.get("props") or {}, cand))  # fmt: skip
                if len(held_nodes) + len(held_rels) >= limit:
                    self.spill()
        self.events += self._seq - before
        return WriteStats(
            statements=len(nodes) + len(rels),
            node_rows=sum(len(r) for r in nodes.values()),
            rel_rows=sum(len(r) for r in rels.values()),
        )

    def spill(self) -> None:
        """Write what is held as sorted, combined runs (one for nodes, one for rels)."""
        self.peak_held = max(self.peak_held, len(self._nodes) + len(self._rels))
        for held, runs, compose, kind in (
            (self._nodes, self.node_runs, compose_node, "nodes"),
            (self._rels, self.rel_runs, compose_rel, "rels"),
        ):
            if held:
                path = self._dir / f"{kind}-{self._seq >> PART_BITS}-{len(runs):05d}.run"
                dump_run(path, _combined(held, compose))
                runs.append(path)
                held.clear()

    def finish(self) -> tuple[list[Path], list[Path]]:
        """Spill what is left; the node and relationship run files."""
        self.spill()
        return list(self.node_runs), list(self.rel_runs)
