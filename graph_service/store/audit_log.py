"""The append-only, hash-chained audit log: one JSON line per event, fsync'd.

Each stored line is an event with three fields added: ``seq`` (0, 1, 2, …), ``prev_hash``
(the previous event's hash; 64 zeros for the first) and ``hash`` =
``sha256(prev_hash + canonical JSON of the event without its hash)``. A head file next to
the log holds the last ``seq`` and ``hash`` so deleting the newest events is detected too.
Appends take an exclusive ``flock`` so the API and CLI processes can share one log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_service.store.errors import StoreError

GENESIS = "0" * 64
LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head"


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


class AuditLog:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LOG_NAME
        self.head_path = directory / HEAD_NAME

    def append(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Chain, write and fsync one event; raise `AuditWriteFailed` on any failure."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    seq, prev = self._last(fh)
                    stored = {**event, "seq": seq + 1, "prev_hash": prev}
                    stored["hash"] = event_hash(prev, stored)
                    fh.seek(0, os.SEEK_END)
                    fh.write((canonical(stored) + "\n").encode())
                    fh.flush()
                    os.fsync(fh.fileno())
                    self._write_head(stored["seq"], stored["hash"])
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except (OSError, ValueError) as exc:
            raise AuditWriteFailed(f"audit log {self.path} is not writable: {exc}") from exc
        return stored

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
        tmp = self.head_path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            fh.write(json.dumps({"seq": seq, "hash": digest}))
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.head_path)

    def events(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    def verify(self) -> VerifyResult:
        """Recompute the chain; report the first event that was changed, moved or removed."""
        prev, n = GENESIS, 0
        if self.path.exists():
            with self.path.open("rb") as fh:
                for pos, line in enumerate(fh):
                    bad = self._check_line(line, pos, prev)
                    if bad:
                        return VerifyResult(False, pos, pos, bad)
                    prev, n = json.loads(line)["hash"], pos + 1
        head = self._head()
        if head is None:
            if n:
                return VerifyResult(False, n, n, "head file missing")
            return VerifyResult(True, 0)
        if head["seq"] != n - 1 or head["hash"] != prev:
            return VerifyResult(
                False, n, n, f"log ends at event {n - 1} but the head records {head['seq']}"
            )
        return VerifyResult(True, n)

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
