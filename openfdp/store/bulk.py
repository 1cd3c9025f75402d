"""Bulk backfill: the import files of ``neo4j-admin database import full`` and the values in them.

The rows of a load are collected by :class:`openfdp.store.bulk_spill.BulkGraph` (spilled to
sorted run files on disk as they come, so memory does not grow with the data) and merged
into import files by :func:`openfdp.store.bulk_merge.write_import_files`, with the
semantics of the incremental writer's statements, in the order the rows were written:

- a node row ``MERGE (n:Label {key}) ON CREATE SET n += row.create SET n += row.props``
  with the label's superclass labels; ``SET +=`` with a null value removes the property;
- a relationship end the batch does not write itself is a key-only node (created once);
- a relationship row ``MERGE (a)-[r:TYPE]->(b) SET r += row.props``.

A node's identity is its key on the highest class that has that key (the uniqueness
constraint every subclass shares), so ``NHSTrust {ods_code}`` and ``Organisation {ods_code}``
are one node, as MERGE on the constraint-backed labels makes them. In the import files that
label is the node's ID space and the ``repr`` of its key values its ID, so relationships
name their ends without a table of all nodes in memory.

This module holds what the two share: the node identity, the files written and the
conversion of property values to the typed import format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openfdp.store.errors import StoreError

ARRAY_DELIMITER = "\x1f"  # unit separator: never part of a mapped value (checked on write)
SEP = "\x00"  # between the ID space (root label) and the ID in a node identity


class BulkValueError(StoreError):
    """A value the bulk files cannot carry exactly (the message names the property only)."""


def node_ident(root: str, names: tuple[str, ...], key: Mapping[str, Any]) -> str:
    """A node's identity: its ID space (the root label) and the repr of its key values in
    the order of `names` (sorted key names). Sortable and exact (``1`` is not ``'1'``)."""
    if len(names) == 1:
        return root + SEP + repr((key[names[0]],))
    return root + SEP + repr(tuple(key[k] for k in names))


@dataclass
class BulkFiles:
    """The files written for one import, with their row counts.

    ``empty_lists`` is a file of the node properties whose value is an empty list, which the
    import format cannot express (an empty field means "no property"): one pickled
    ``(label, key names, property, key values)`` per node, ``empty_list_count`` of them;
    :func:`openfdp.store.bulk_import.set_empty_lists` sets them after the import.
    """

    nodes: list[Path]
    relationships: list[Path]
    node_count: int
    relationship_count: int
    empty_lists: Path | None = None
    empty_list_count: int = 0


def type_of(value: Any) -> str:
    """The neo4j-admin header type of one property value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime" if value.tzinfo is not None else "localdatetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time" if value.tzinfo is not None else "localtime"
    if isinstance(value, list | tuple):
        if not value:
            raise BulkValueError("an empty list on a relationship has no import form")
        inner = {type_of(v) for v in value}
        if len(inner) != 1 or next(iter(inner)).endswith("[]"):
            raise BulkValueError("a list property must hold values of one plain type")
        return f"{next(iter(inner))}[]"
    raise BulkValueError(f"a property value of type {type(value).__name__} has no import type")


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        parts = [text_of(v) for v in value]
        if any(ARRAY_DELIMITER in p for p in parts):
            raise BulkValueError("a list element holds the array delimiter")
        return ARRAY_DELIMITER.join(parts)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def signature(props: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, type_of(v)) for k, v in props.items()))


def set_all(target: dict[str, Any], values: Mapping[str, Any]) -> None:
    """``SET n += $values``: null removes the property."""
    for k, v in values.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = v
