"""ODS reference data reader: streams CSV rows (one at a time) to the pure ODS mappers.

Which mapper a file gets is decided by its name (the ODS national extracts have no header):
``etr*.csv`` trusts, ``eccg*.csv`` sub-ICB locations, ``icb*.csv`` the ONS ICB lookup, and
``*prac*map*.csv`` (or any CSV whose header has PRACTICE_CODE and PCN_CODE) GP practices.
Files are read in the order ICB lookup, sub-ICB locations, trusts, GP practices, so that the
organisations other rows refer to are loaded first.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from openfdp.loaders.mapping import ods
from openfdp.loaders.model import MapContext, Outcome, Rejection, Skipped

_KINDS = ("icb", "eccg", "etr", "gp")  # load order: the organisations others refer to first


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.startswith("etr"):
        return "etr"
    if name.startswith("eccg"):
        return "eccg"
    if name.startswith("icb"):
        return "icb"
    if "prac" in name:
        return "gp"
    return None


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix == ".csv")
        else:
            yield path


def _label(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


def _headerless(
    path: Path, label: str, source: str, mapper: Callable[..., Outcome]
) -> Iterator[Outcome]:
    del source  # a headerless row is always handed to its mapper
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for line_no, row in enumerate(csv.reader(fh), start=1):
            if not any(cell.strip() for cell in row):
                continue
            yield mapper(row, position=f"{label}:{line_no}")


def _with_header(
    path: Path, label: str, source: str, mapper: Callable[..., Outcome]
) -> Iterator[Outcome]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            position = f"{label}:{reader.line_num}"
            if None in row:  # more cells than header columns
                yield Rejection(source, position, None, "more cells than header columns")
                continue
            yield mapper(row, position=position)


_READERS: dict[str, tuple[Callable[..., Iterator[Outcome]], Callable[..., Outcome]]] = {
    "etr": (_headerless, ods.map_etr_row),
    "eccg": (_headerless, ods.map_eccg_row),
    "icb": (_with_header, ods.map_icb_row),
    "gp": (_with_header, ods.map_gp_row),
}


def outcomes(paths: Sequence[Path], ctx: MapContext) -> Iterator[Outcome]:
    """Every ODS row in `paths` (files or folders) as a MappedRecord, Rejection or Skipped."""
    del ctx  # ODS reference data needs no pseudonymiser and names its own providers
    found: list[tuple[str, Path, str]] = []
    for root in paths:
        base = root.parent
        for path in _files([root]):
            kind = _kind(path)
            label = _label(path, base)
            if kind is None:
                yield Skipped("ods", label, "not a recognised ODS extract")
                continue
            found.append((kind, path, label))
    found.sort(key=lambda item: (_KINDS.index(item[0]), item[2]))
    for kind, path, label in found:
        read, mapper = _READERS[kind]
        try:
            yield from read(path, label, f"ods:{kind}", mapper)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            yield Rejection(f"ods:{kind}", label, None, f"unreadable file: {type(exc).__name__}")
