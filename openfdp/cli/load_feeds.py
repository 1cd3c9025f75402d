"""The feeds ``openfdp load`` and ``openfdp db import`` read: each feed's reader and source
name, the input files of the paths given (a folder stands for the files in it), whether a
load holds an opt-out extract, and the linkage evidence store the loaded identities go to
(none when linkage is not installed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from openfdp.loaders.errors import FeedNotAvailable
from openfdp.loaders.linkage import EvidenceStore, default_path
from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir, hl7v2, ods, trust_csv
from openfdp.settings import Settings

Reader = Callable[[Sequence[Path], MapContext], Iterator[Outcome]]

#: feed -> (reader, source name)
FEEDS: dict[str, tuple[Reader, str]] = {
    "csv": (trust_csv.outcomes, "csv"),
    "fhir": (fhir.outcomes, "fhir"),
    "ods": (ods.outcomes, "ods"),
    "hl7": (hl7v2.outcomes, "hl7"),
}


def reader_for(feed: str) -> Reader:
    if feed not in FEEDS:
        raise FeedNotAvailable(f"the {feed} feed is not available in this version")
    return FEEDS[feed][0]


def input_files(feed: str, paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            pattern = "*.csv" if feed == "csv" else "**/*"
            files += sorted(f for f in p.glob(pattern) if f.is_file())
        else:
            files.append(p)
    return files


def has_opt_out_extract(feed: str, paths: Sequence[Path]) -> bool:
    """Whether this load holds an opt-out extract (a snapshot of the current opt-outs)."""
    if feed != "csv":
        return False
    from openfdp.loaders.readers.trust_csv import plan  # noqa: PLC0415

    return any(extract.name == "opt_outs" for _, extract in plan(paths))


def evidence_sink(
    stack: ExitStack, cfg: Settings, pseudonymiser: Pseudonymiser
) -> Callable[[list[Any]], None]:
    """The linkage evidence store of this load, keyed by the load's own pseudonymiser."""
    store = stack.enter_context(EvidenceStore(default_path(cfg.state_dir), pseudonymiser))

    def sink(items: list[Any]) -> None:
        store.add(items)

    return sink
