"""FHIR R4 reader: JSON bundles (streamed entry by entry with ijson) and FHIR XML files.

Two phases keep references resolvable while memory stays flat:

1. every file is scanned once and its Organizations, Locations and Practitioners (and any
   resource stored on its own, one per file, as in the UK Core examples) go into the
   shared reference index;
2. file by file (the ``hospitalInformation*``/``practitionerInformation*`` files first),
   the bundle's own resources are indexed, then each entry is mapped.

Only one entry is held in memory at a time (plus the index of one bundle's references).
A bundle's ``request.method = DELETE`` entries are mapped before its other entries (FHIR R4
transaction processing rules; :mod:`openfdp.loaders.mapping.fhir_delete`).
Bad JSON or XML never escapes: it becomes a Rejection at the entry where parsing stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import ijson
from defusedxml import DefusedXmlException

from openfdp.loaders.mapping.fhir import MAPPERS, map_resource
from openfdp.loaders.mapping.fhir_common import reference_strings
from openfdp.loaders.mapping.fhir_delete import map_delete
from openfdp.loaders.mapping.fhir_index import SHARED_TYPES, RefIndex, target_of
from openfdp.loaders.mapping.fhir_links import SOURCE
from openfdp.loaders.model import MapContext, Outcome, Rejection, Skipped
from openfdp.loaders.readers.fhir_xml import read_entries as read_xml_entries

_SUFFIXES = (".json", ".xml")
_REFERENCE_FILES = ("hospitalinformation", "practitionerinformation")
MAPPED = frozenset(MAPPERS)


@dataclass(frozen=True, slots=True)
class Entry:
    position: str
    full_url: str | None
    resource: Any
    in_bundle: bool
    method: str | None = None  # request.method of a transaction/batch entry
    url: str | None = None  # request.url


@dataclass(frozen=True, slots=True)
class Broken:
    position: str
    reason: str


def _files(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for root in paths:
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        else:
            files = [root]
        found.extend((f, str(f.relative_to(root.parent))) for f in files)

    def order(item: tuple[Path, str]) -> tuple[int, str]:
        reference = item[0].name.lower().startswith(_REFERENCE_FILES)
        return (0 if reference else 1, item[1])

    return sorted(found, key=order)


def _with_id(full_url: str | None, resource: Any) -> Any:
    """Resources posted in a transaction may carry only a urn:uuid fullUrl, not an id."""
    prefix = "urn:uuid:"
    if (
        isinstance(resource, dict)
        and not resource.get("id")
        and (full_url or "").startswith(prefix)
    ):
        return {**resource, "id": str(full_url)[len(prefix) :]}
    return resource


def _json_entries(path: Path, label: str) -> Iterator[Entry | Broken]:
    count = 0
    try:
        with path.open("rb") as fh:
            for count, item in enumerate(ijson.items(fh, "entry.item", use_float=True), 1):
                full_url = item.get("fullUrl") if isinstance(item, dict) else None
                full_url = full_url if isinstance(full_url, str) else None
                resource = item.get("resource") if isinstance(item, dict) else None
                position = f"{label}#entry[{count - 1}]"
                method, url = _request(item)
                yield Entry(position, full_url, _with_id(full_url, resource), True, method, url)
        if count == 0:  # a lone resource, or a bundle without entries
            with path.open("rb") as fh:
                resource = json.load(fh)
            if not (isinstance(resource, dict) and resource.get("resourceType") == "Bundle"):
                yield Entry(label, None, resource, False)
    except (ijson.JSONError, ValueError) as exc:
        kind = "truncated" if isinstance(exc, ijson.IncompleteJSONError) else "malformed"
        yield Broken(f"{label}#entry[{count}]", f"{kind} JSON; {count} entries read before it")
    except OSError as exc:
        yield Broken(label, f"unreadable file: {type(exc).__name__}")


def _request(item: Any) -> tuple[str | None, str | None]:
    request = item.get("request") if isinstance(item, dict) else None
    if not isinstance(request, dict):
        return None, None
    method, url = request.get("method"), request.get("url")
    return (
        method.upper() if isinstance(method, str) else None,
        url if isinstance(url, str) else None,
    )


def _xml_entries(path: Path, label: str) -> Iterator[Entry | Broken]:
    try:
        for number, full_url, resource in read_xml_entries(path):
            position = label if number is None else f"{label}#entry[{number}]"
            yield Entry(position, full_url, _with_id(full_url, resource), number is not None)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        yield Broken(label, f"malformed FHIR XML: {type(exc).__name__}")
    except OSError as exc:
        yield Broken(label, f"unreadable file: {type(exc).__name__}")


def _entries(path: Path, label: str) -> Iterator[Entry | Broken]:
    return _xml_entries(path, label) if path.suffix == ".xml" else _json_entries(path, label)


def _index(index: RefIndex, entry: Entry, ctx: MapContext, *, shared_phase: bool) -> None:
    resource = entry.resource
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return  # the mapping phase rejects it
    shared = resource["resourceType"] in SHARED_TYPES or not entry.in_bundle
    if shared != shared_phase:
        return
    try:
        target = target_of(resource, ctx)
        if target is not None:
            index.add(reference_strings(entry.full_url, resource), target, shared=shared)
    except (AttributeError, TypeError, KeyError, ValueError):
        return  # the mapping phase rejects the resource with a reason


def _map(item: Entry, index: RefIndex, ctx: MapContext) -> Outcome:
    """The mapper rejects bad records itself; this boundary keeps an unforeseen shape of
    input (a mapper bug) from ending the whole load: it is quarantined like bad input."""
    try:
        return map_resource(item.resource, position=item.position, index=index, ctx=ctx)
    except Exception as exc:  # the record is quarantined with the error type
        return Rejection(SOURCE, item.position, None, f"unmappable resource ({type(exc).__name__})")


def outcomes(paths: Sequence[Path], ctx: MapContext) -> Iterator[Outcome]:
    """Every FHIR resource in `paths` (files or folders) as MappedRecord/Rejection/Skipped."""
    files = _files(paths)
    index = RefIndex()
    for path, label in files:
        for item in _entries(path, label):
            if isinstance(item, Entry):
                _index(index, item, ctx, shared_phase=True)
    for path, label in files:
        index.clear_local()
        for item in _entries(path, label):
            if isinstance(item, Entry):
                _index(index, item, ctx, shared_phase=False)
        # FHIR R4 transaction processing: a bundle's DELETE entries are processed first
        for item in _entries(path, label):
            if isinstance(item, Entry) and item.method == "DELETE":
                yield map_delete(item.url, position=item.position, mapped_types=MAPPED)
        for item in _entries(path, label):
            if isinstance(item, Broken):
                yield Rejection(SOURCE, item.position, None, item.reason)
            elif isinstance(item, Entry) and item.method == "DELETE":
                continue
            elif item.resource is None:
                yield Skipped(
                    SOURCE, item.position, "bundle entry without a resource (request only)"
                )
            else:
                yield _map(item, index, ctx)
