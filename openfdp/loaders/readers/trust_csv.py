"""Trust CSV extracts (docs/formats.md): find the files, tell which extract each one is,
stream the rows to the pure mappers. I/O only; memory stays flat (one pathway at a time).

The extract is recognised by file name (``waiting_list.csv``, ``waiting_list-RJ1.csv``, ...)
or else by header: the extract whose required columns the header holds. In a directory,
files that match no extract (e.g. a generator's ``answers.csv``) are left alone; a file named
explicitly that matches none is an error.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from openfdp.loaders.errors import UnknownExtract
from openfdp.loaders.formats_data import EXTRACTS as FORMATS
from openfdp.loaders.mapping.trust_csv_common import Line
from openfdp.loaders.mapping.trust_csv_patient import (
    map_opt_out,
    map_outpatient,
    map_waiting_list_group,
    pathway_key,
)
from openfdp.loaders.mapping.trust_csv_resources import (
    map_roster,
    map_staff,
    map_theatre_booking,
    map_theatre_session,
    map_ward_bed,
)
from openfdp.loaders.mapping.trust_csv_supply import map_contract, map_dpa
from openfdp.loaders.model import MapContext, Outcome, Rejection

log = logging.getLogger(__name__)

Mapper = Callable[[Line, MapContext], Outcome]


@dataclass(frozen=True)
class Extract:
    name: str
    required: frozenset[str]
    mapper: Mapper | None  # None: the waiting list, mapped per pathway group


#: the mapper of each extract; None: the waiting list, mapped per pathway group
MAPPERS: dict[str, Mapper | None] = {
    "staff": map_staff,
    "wards_beds": map_ward_bed,
    "theatre_sessions": map_theatre_session,
    "waiting_list": None,
    "outpatient_appointments": map_outpatient,
    "theatre_bookings": map_theatre_booking,
    "rosters": map_roster,
    "supplier_contracts": map_contract,
    "data_processing_agreements": map_dpa,
    "opt_outs": map_opt_out,
}
# the columns and required values come from the one description of the extracts
EXTRACTS: dict[str, Extract] = {
    name: Extract(name, fmt.required, MAPPERS[name]) for name, fmt in FORMATS.items()
}
ORDER = list(EXTRACTS)


def detect(path: Path, header: Iterable[str]) -> Extract | None:
    cols = {h.strip() for h in header}
    stem = path.stem.lower()
    for name, extract in EXTRACTS.items():
        if (stem == name or stem.startswith(name + "-")) and extract.required <= cols:
            return extract
    matches = [e for e in EXTRACTS.values() if e.required <= cols]
    return max(matches, key=lambda e: len(e.required)) if matches else None


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        return next(csv.reader(fh), [])


def plan(paths: Iterable[Path]) -> list[tuple[Path, Extract]]:
    """The files to read, each with its extract, in a stable load order."""
    found: list[tuple[Path, Extract]] = []
    for root in paths:
        if root.is_dir():
            for path in sorted(root.glob("*.csv")):
                extract = detect(path, _header(path))
                if extract is None:
                    log.info("not a trust extract, left alone: %s", path.name)
                else:
                    found.append((path, extract))
        else:
            if not root.exists():
                raise UnknownExtract(f"no such file: {root}")
            extract = detect(root, _header(root))
            if extract is None:
                raise UnknownExtract(
                    f"{root.name}: the header matches none of the trust extracts in docs/formats.md"
                )
            found.append((root, extract))
    return sorted(found, key=lambda pe: (ORDER.index(pe[1].name), str(pe[0])))


def _lines(path: Path, extract: Extract) -> Iterator[Line | Rejection]:
    """Rows as :class:`Line`; a row the CSV parser cannot read becomes a Rejection (and the
    file goes on); bytes that are not UTF-8 become U+FFFD (and then fail validation)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.DictReader(fh)
        last = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                last += 1
                yield Rejection(
                    f"csv:{extract.name}", f"{path.name}:{last}", None, "unreadable CSV row"
                )
                continue
            last = reader.line_num
            if None in row:  # more cells than columns: misaligned, nothing can be trusted
                yield Rejection(
                    f"csv:{extract.name}",
                    f"{path.name}:{last}",
                    None,
                    "more cells than the header has columns",
                )
                continue
            cells = {k: v or "" for k, v in row.items() if isinstance(k, str) and k}
            yield Line(extract.name, path.name, last, cells)


def _group_key(item: Line | Rejection) -> tuple[str, str]:
    return pathway_key(item.row) if isinstance(item, Line) else ("\0", item.position)


def count_rows(paths: Iterable[Path]) -> int:
    """Data rows across the planned files (for a progress bar total)."""
    total = 0
    for path, _ in plan(paths):
        with path.open("rb") as fh:
            total += max(sum(1 for _ in fh) - 1, 0)
    return total


def outcomes(paths: Iterable[Path], ctx: MapContext) -> Iterator[Outcome]:
    """One outcome per data row of every extract found in `paths`."""
    for path, extract in plan(paths):
        items = _lines(path, extract)
        if extract.mapper is None:
            for _, group in groupby(items, key=_group_key):
                batch = list(group)
                lines = [x for x in batch if isinstance(x, Line)]
                yield from (x for x in batch if isinstance(x, Rejection))
                if lines:
                    yield from map_waiting_list_group(lines, ctx)
        else:
            mapper = extract.mapper
            for item in items:
                yield mapper(item, ctx) if isinstance(item, Line) else item
