"""Keyset cursors: a cursor is the encoded sort key of a row, never its position.

A page after a cursor holds the rows whose sort key comes after the cursor's key, so rows
inserted or removed before it do not shift the next page (no row is skipped or repeated
because of them), unlike an offset. A cursor is ``base64url(JSON {"k": kind, "v": key})``:
``kind`` names what is paged (e.g. ``pathways:START_DATE_ASC``), so a cursor from another
field or sort order is refused instead of being misread; dates in the key are tagged.

Fields paged in Cypher compare the key there (``[r IN rows WHERE r.k > $after]``: Cypher
compares lists element by element); lists fetched whole (small aggregate lists) are paged
here by the identity key of each row (``slice_connection``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from openfdp.api.errors import BadRequest

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Page:
    """How long a page is (``first``) and the cursor it starts after (``after``)."""

    limit: int
    cursor_kind: str | None = None
    cursor_key: tuple[Any, ...] | None = None

    def after(self, kind: str) -> list[Any] | None:
        """The sort key to start after, for a field paging ``kind`` (None: from the start)."""
        if self.cursor_key is None:
            return None
        if self.cursor_kind != kind:
            raise BadRequest(
                f"this cursor belongs to {self.cursor_kind!r}, not to {kind!r} (another "
                "field or sort order); start again without `after`"
            )
        return list(self.cursor_key)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if hasattr(value, "to_native"):  # neo4j.time values
        return _encode_value(value.to_native())
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a cursor key cannot hold {type(value).__name__}")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "d" in value:
            return datetime.date.fromisoformat(str(value["d"]))
        if "t" in value:
            return datetime.datetime.fromisoformat(str(value["t"]))
        raise ValueError("unknown tagged value")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError("not a key value")


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    text = json.dumps({"k": kind, "v": [_encode_value(v) for v in key]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, tuple[Any, ...]]:
    """(kind, key) of a cursor this API issued; `BadRequest` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4))
        data = json.loads(raw)
        kind, values = data["k"], data["v"]
        if not isinstance(kind, str) or not isinstance(values, list) or not values:
            raise ValueError("malformed")
        return kind, tuple(_decode_value(v) for v in values)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError):
        raise BadRequest(f"cursor {cursor!r} is not one this API issued") from None


def page(limit: int, after: str | None) -> Page:
    if not after:
        return Page(limit=limit)
    kind, key = decode_cursor(after)
    return Page(limit=limit, cursor_kind=kind, cursor_key=key)


def _sortable(key: Sequence[Any]) -> tuple[tuple[int, Any], ...]:
    """A key Python can compare whatever its values: None sorts last, as in Cypher."""
    return tuple((1, "") if v is None else (0, v) for v in key)


def rest_after(items: Sequence[T], key: Callable[[T], Sequence[Any]], after: list[Any]) -> int:
    """Index of the first item after the cursor row: just after the row with that key when
    it is still there, else the first row whose key sorts after it."""
    wanted = tuple(after)
    for i, item in enumerate(items):
        if tuple(_encode_value(v) for v in key(item)) == tuple(_encode_value(v) for v in wanted):
            return i + 1
    bound = _sortable(wanted)
    for i, item in enumerate(items):
        try:
            if _sortable(key(item)) > bound:
                return i
        except TypeError:
            continue
    return len(items)
