"""The bytes of a data product: canonical JSON, typed values, gzip JSON-lines files, hashes.

Graph values keep their type through JSON: a date is ``{"$date": "2026-03-31"}``, a
timestamp ``{"$datetime": "...+00:00"}``, a time of day ``{"$time": "08:00:00"}``; bytes
(Bloom filters) are ``{"$b64": "..."}``. Files are gzip (no name, mtime 0, so the same rows give the
same bytes) of one canonical JSON object per line.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson


def canonical(obj: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same object always gives the same bytes."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def encode_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    native = value.to_native() if hasattr(value, "to_native") else value
    if isinstance(native, dt.datetime):
        return {"$datetime": native.isoformat()}
    if isinstance(native, dt.date):
        return {"$date": native.isoformat()}
    if isinstance(native, dt.time):
        return {"$time": native.isoformat()}
    if isinstance(native, bytes):
        return {"$b64": base64.b64encode(native).decode()}
    return native


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        ((tag, text),) = value.items()
        if tag == "$date":
            return dt.date.fromisoformat(text)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(text)
        if tag == "$time":
            return dt.time.fromisoformat(text)
        if tag == "$b64":
            return base64.b64decode(text)
    return value


def encode_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: encode_value(v) for k, v in props.items() if v is not None}


def decode_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: decode_value(v) for k, v in props.items()}


def digest(obj: Any) -> str:
    """The content hash of one item (what the export ledger compares)."""
    return hashlib.sha256(canonical(obj)).hexdigest()[:32]


def write_lines(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as fh:
        for row in rows:
            fh.write(canonical(row) + b"\n")
            count += 1
    return count


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
