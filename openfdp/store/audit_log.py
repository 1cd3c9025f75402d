"""The append-only, hash-chained audit log: one JSON line per event, fsync'd.

Each stored line is an event with three fields added: ``seq`` (0, 1, 2, …), ``prev_hash``
(the previous event's hash; 64 zeros for the first) and ``hash`` =
``sha256(prev_hash + canonical JSON of the event without its hash)``. A head file next to
the log holds the last ``seq`` and ``hash`` so deleting the newest events is detected too.
Appends take an exclusive file lock (``flock``; ``msvcrt.locking`` on Windows) so the API
and CLI processes can share one log, and several events can be appended with one fsync
(``append_many``: the API's group commit).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from openfdp.store.errors import StoreError
from openfdp.store.file_lock import exclusive
from openfdp.store.host_os import sync_data, write_at

GENESIS = "0" * 64
LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head"
HEAD_SIZE = 256  # bytes: the head record, padded, always written whole at offset 0


def _still_names(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the open file ``fd`` (it was not replaced or removed)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _identity(fh: BinaryIO) -> tuple[int, int, int]:
    st = os.fstat(fh.fileno())
    return st.st_ino, st.st_size, st.st_mtime_ns


class AuditWriteFailed(StoreError):
    """The audit event could not be made durable; the request must not be served."""


def canonical(event: Mapping[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def event_hash(prev_hash: str, event: Mapping[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    first_bad: int | None = None  # 0-based line position of the first bad event
    reason: str = ""
    head_hash: str = GENESIS  # hash of the newest event (record it elsewhere to anchor)


class AuditLog:
    """One log folder. Appends are safe across threads (a lock) and processes (``flock``).

    The log file stays open between appends, and the last ``seq`` and ``hash`` this object
    wrote are remembered with the file's identity (inode, size, modification time): while
    nobody else has written, the next append need not re-read the tail. Any other writer
    (another API process, the CLI, an editor) changes the identity and the tail is re-read.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LOG_NAME
        self.head_path = directory / HEAD_NAME
        self._lock = threading.Lock()
        self._fh: BinaryIO | None = None
        self._tail: tuple[tuple[int, int, int], int, str] | None = None
        self._head_file: int | None = None

    def append(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Chain, write and fsync one event; raise `AuditWriteFailed` on any failure."""
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Chain, write and fsync events in order, with one fsync for all of them (group
        commit); raise `AuditWriteFailed` on any failure, in which case none is durable."""
        if not events:
            return []
        with self._lock:
            try:
                return self._append_locked(events)
            except (OSError, ValueError) as exc:
                self._close()
                raise AuditWriteFailed(f"audit log {self.path} is not writable: {exc}") from exc

    def _append_locked(self, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        fh = self._open()
        with exclusive(fh):
            seq, prev = self._cached_tail(fh) or self._last(fh)
            stored_events, lines = [], []
            for event in events:
                seq += 1
                stored = {**event, "seq": seq, "prev_hash": prev}
                stored["hash"] = prev = event_hash(prev, stored)
                stored_events.append(stored)
                lines.append(canonical(stored) + "\n")
            fh.seek(0, os.SEEK_END)
            fh.write("".join(lines).encode())
            fh.flush()
            os.fsync(fh.fileno())
            self._write_head(seq, prev)
            self._tail = (_identity(fh), seq, prev)
        return stored_events

    def _open(self) -> BinaryIO:
        """The open log file; reopened when the path now names another file (replaced)."""
        if self._fh is not None:
            if _still_names(self.path, self._fh.fileno()):
                return self._fh
            self._close()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a+b")
        return self._fh

    def _close(self) -> None:
        self._tail = None
        if self._head_file is not None:
            with contextlib.suppress(OSError):
                os.close(self._head_file)
            self._head_file = None
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None

    def close(self) -> None:
        with self._lock:
            self._close()

    def _cached_tail(self, fh: BinaryIO) -> tuple[int, str] | None:
        if self._tail is None or self._tail[0] != _identity(fh):
            return None
        return self._tail[1], self._tail[2]

    def _last(self, fh: Any) -> tuple[int, str]:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return -1, GENESIS
        chunk = min(size, 65536)
        while True:
            fh.seek(size - chunk)
            lines = fh.read(chunk).rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or chunk == size:
                last = json.loads(lines[-1])
                return int(last["seq"]), str(last["hash"])
            chunk = min(size, chunk * 4)

    def _write_head(self, seq: int, digest: str) -> None:
        """Overwrite the head in place: one fixed-size record at offset 0 (a single sector,
        so it is never half-written), made durable after the log's own fsync."""
        record = json.dumps({"seq": seq, "hash": digest}).encode().ljust(HEAD_SIZE - 1) + b"\n"
        fd = self._head_fd()
        write_at(fd, record, 0)
        sync_data(fd)

    def _head_fd(self) -> int:
        if self._head_file is not None:
            if _still_names(self.head_path, self._head_file):
                return self._head_file
            os.close(self._head_file)
            self._head_file = None
        self._head_file = os.open(self.head_path, os.O_WRONLY | os.O_CREAT, 0o644)
        os.ftruncate(self._head_file, HEAD_SIZE)
        return self._head_file

    def events(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    def verify(self, anchors: Mapping[int, str] | None = None) -> VerifyResult:
        """Recompute the chain; report the first event that was changed, moved or removed.

        ``anchors`` maps event numbers to hashes recorded outside this host earlier (from
        ``head_hash``): a chain rebuilt after an anchor was taken — consistent with itself
        and with the head, but not with the anchor — is reported too.
        """
        anchors = dict(anchors or {})
        prev, n = GENESIS, 0
        if self.path.exists():
            with self.path.open("rb") as fh:
                for pos, line in enumerate(fh):
                    bad = self._check_line(line, pos, prev)
                    if bad:
                        return VerifyResult(False, pos, pos, bad)
                    prev, n = json.loads(line)["hash"], pos + 1
                    anchored = anchors.pop(pos, None)
                    if anchored is not None and anchored != prev:
                        return VerifyResult(
                            False, pos, pos, "does not match the hash anchored for it: the "
                            "log was rewritten after the anchor was taken",
                        )  # fmt: skip
        if anchors:
            first = min(anchors)
            return VerifyResult(
                False, n, first, f"event {first} was anchored but the log ends at event {n - 1}"
            )
        head = self._head()
        if head is None:
            if n:
                return VerifyResult(False, n, n, "head file missing")
            return VerifyResult(True, 0)
        if head["seq"] != n - 1 or head["hash"] != prev:
            return VerifyResult(
                False, n, n, f"log ends at event {n - 1} but the head records {head['seq']}"
            )
        return VerifyResult(True, n, head_hash=prev)

    @staticmethod
    def _check_line(line: bytes, n: int, prev: str) -> str:
        try:
            event = json.loads(line)
        except ValueError:
            return "not valid JSON"
        if not isinstance(event, dict):
            return "not an event"
        if event.get("seq") != n:
            return f"sequence number {event.get('seq')} where {n} was expected"
        if event.get("prev_hash") != prev:
            return "previous-hash link broken (an event was removed or reordered)"
        if event.get("hash") != event_hash(prev, event):
            return "hash does not match the content (the event was changed)"
        return ""

    def _head(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.head_path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            return {"seq": -2, "hash": ""}
        return data if isinstance(data, dict) else {"seq": -2, "hash": ""}
