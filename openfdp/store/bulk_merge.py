"""The merge of the bulk collector's runs into ``neo4j-admin`` import files, streaming.

The node runs are merged in (identity, sequence) order (``heapq.merge``; more than
``FAN_IN`` runs are first merged in groups into longer runs, so at most ``FAN_IN`` blocks are
held), each identity's events are folded in sequence order (the first event creates the
node, with its labels, key and, for a node row, the on-create properties; every node row adds
its labels; ``SET +=`` in order, a null removing the property), and the node is written to
the file of its (ID space, labels, property types). Candidate events (see
:mod:`openfdp.store.bulk_spill`) are kept for the first of each tag only; the relationship
merge then keeps the candidate relationships of the kept ones. Memory: one identity's fold,
the open files, and the kept candidates (one per shared reference node and feed).
"""

from __future__ import annotations

import csv
import heapq
import pickle
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from openfdp.store.bulk import ARRAY_DELIMITER, SEP, BulkFiles, set_all, signature, text_of
from openfdp.store.bulk_spill import (
    BY_ID,
    Cand,
    NodeEvent,
    RelEvent,
    compose_node,
    compose_rel,
    dump_run,
    read_run,
)

FAN_IN = 64
_IDENT = itemgetter(0)


def merged(runs: Iterable[Path], work: Path, kind: str) -> Iterator[Any]:
    """The events of all `runs` in (identity, sequence) order."""
    pending = list(runs)
    n = 0
    while len(pending) > FAN_IN:
        group, pending = pending[:FAN_IN], pending[FAN_IN:]
        path = work / f"{kind}-merged-{n:04d}.run"
        n += 1
        dump_run(path, heapq.merge(*(read_run(r) for r in group), key=BY_ID))
        for r in group:
            r.unlink()
        pending.append(path)
    return heapq.merge(*(read_run(r) for r in pending), key=BY_ID)


class _Files:
    """One CSV file per group, opened on its first row."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self._folder, self._prefix = folder, prefix
        self._open: dict[Any, tuple[IO[str], Any]] = {}
        self.paths: list[Path] = []
        self.rows = 0

    def writer(self, group: Any, header: list[str]) -> Any:
        found = self._open.get(group)
        if found is None:
            path = self._folder / f"{self._prefix}-{len(self.paths):03d}.csv"
            fh = path.open("w", newline="", encoding="utf-8")
            out = csv.writer(fh)
            out.writerow(header)
            found = self._open[group] = (fh, out)
            self.paths.append(path)
        self.rows += 1
        return found[1]

    def close(self) -> None:
        for fh, _ in self._open.values():
            fh.close()
        self._open.clear()


def _nodes(events: Iterator[NodeEvent], winners: set[Cand]) -> Iterator[NodeEvent]:
    """One folded event per node (candidates other than the first of a tag left out)."""
    for _, group in groupby(events, key=_IDENT):
        acc: NodeEvent | None = None
        tags: set[str] = set()
        for ev in group:
            cand = ev[8]
            if cand is not None:
                if cand[0] in tags:
                    continue
                tags.add(cand[0])
                winners.add(cand)
            acc = ev if acc is None else compose_node(acc, ev)
        if acc is not None:
            yield acc


def _write_nodes(
    events: Iterator[NodeEvent], files: _Files, empty: IO[bytes], winners: set[Cand]
) -> int:
    empties = 0
    for ident, first_row, first_labels, key, create, row_labels, delta in (
        (ev[0], ev[2], ev[3], ev[4], ev[5], ev[6], ev[7]) for ev in _nodes(events, winners)
    ):
        props = dict(key)
        if first_row:
            set_all(props, create)
        set_all(props, delta)
        root, ident_text = ident.split(SEP, 1)
        for k in [k for k, v in props.items() if isinstance(v, list | tuple) and not v]:
            del props[k]
            names = tuple(sorted(key))
            pickle.dump((root, names, k, tuple(key[n] for n in names)), empty)
            empties += 1
        labels = tuple(sorted(row_labels.union(first_labels)))
        sig = signature(props)
        out = files.writer(
            (root, labels, sig), [f":ID({root})", ":LABEL", *(f"{k}:{t}" for k, t in sig)]
        )
        out.writerow(
            [ident_text, ARRAY_DELIMITER.join(labels), *(text_of(props[k]) for k, _ in sig)]
        )
    return empties


def _write_rels(events: Iterator[RelEvent], files: _Files, winners: set[Cand]) -> None:
    for _, group in groupby(events, key=_IDENT):
        acc: RelEvent | None = None
        for ev in group:
            if ev[6] is not None and ev[6] not in winners:
                continue
            acc = ev if acc is None else compose_rel(acc, ev)
        if acc is None:
            continue
        props: dict[str, Any] = {}
        set_all(props, acc[5])
        s_root, s_id = acc[3].split(SEP, 1)
        e_root, e_id = acc[4].split(SEP, 1)
        sig = signature(props)
        header = [f":START_ID({s_root})", f":END_ID({e_root})", ":TYPE"]
        out = files.writer((acc[2], s_root, e_root, sig), header + [f"{k}:{t}" for k, t in sig])
        out.writerow([s_id, e_id, acc[2], *(text_of(props[k]) for k, _ in sig)])


def write_import_files(folder: Path, node_runs: list[Path], rel_runs: list[Path]) -> BulkFiles:
    """Merge the runs into import files in `folder` (created; existing files replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "merge"
    work.mkdir(exist_ok=True)
    winners: set[Cand] = set()
    nodes, rels = _Files(folder, "nodes"), _Files(folder, "relationships")
    empty_path = folder / "empty-lists.pickle"
    try:
        with empty_path.open("wb") as empty:
            empties = _write_nodes(merged(node_runs, work, "nodes"), nodes, empty, winners)
        _write_rels(merged(rel_runs, work, "rels"), rels, winners)
    finally:
        nodes.close()
        rels.close()
    return BulkFiles(
        nodes.paths, rels.paths, nodes.rows, rels.rows,
        empty_lists=empty_path if empties else None, empty_list_count=empties,
    )  # fmt: skip
