"""Quarantine files: one JSON line per rejected record, never a raw identifying value.

A line holds the record's source, its position (file and line, or bundle entry), the field
at fault and the reason. Reasons are written by our mappers and validators (they name
fields and rules, not values); as a second line of defence anything shaped like a valid NHS
number is redacted before a line is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import TracebackType
from typing import IO

from openfdp.loaders.privacy import looks_like_valid_nhs_number

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def redact(text: str) -> str:
    for hit in looks_like_valid_nhs_number(text):
        text = re.sub(r"[ -]?".join([hit[:3], hit[3:6], hit[6:]]), "[redacted]", text)
    return text


class QuarantineFile:
    """Opened lazily (no file when nothing is quarantined); rewritten on every run."""

    def __init__(self, directory: Path, source: str, batch_id: str) -> None:
        self.path = directory / f"{_UNSAFE.sub('_', source)}-{batch_id[:16]}.jsonl"
        self._batch_id = batch_id
        self._fh: IO[str] | None = None
        self.count = 0
        if self.path.exists():
            self.path.unlink()

    def add(self, *, source: str, position: str, field: str | None, reason: str) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", encoding="utf-8")
        line = {
            "batch_id": self._batch_id,
            "source": source,
            "position": redact(position),
            "field": field,
            "reason": redact(reason),
        }
        self._fh.write(json.dumps(line, sort_keys=True) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> QuarantineFile:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
