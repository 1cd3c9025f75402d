"""HL7 v2 reader: splits files into messages, one message in memory at a time.

Segments may end in CR (the standard), LF or CR LF; a file may hold many messages (each
starts at an ``MSH`` segment); MLLP framing bytes and batch envelopes (FHS/BHS/BTS/FTS) are
ignored. Each message is handed to the pure mapper with its position ``file#msgN``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from openfdp.loaders.mapping.hl7v2 import SOURCE, map_message
from openfdp.loaders.model import MapContext, Outcome, Rejection

_SUFFIXES = (".hl7", ".txt", ".er7", ".msg")
_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")
_FRAMING = "\x0b\x1c"


def _files(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    for root in paths:
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        else:
            files = [root]
        for path in files:
            yield path, str(path.relative_to(root.parent))


def messages(path: Path) -> Iterator[tuple[int, str]]:
    """(message number from 1, segments joined by CR) of one file, streamed line by line."""
    current: list[str] = []
    number = 0
    # newline=None: universal newlines, so CR, LF and CR LF all end a segment
    with path.open(encoding="utf-8", errors="replace", newline=None) as fh:
        for raw in fh:
            line = raw.strip(_FRAMING + "\r\n").lstrip()
            if not line or line.startswith(_ENVELOPE):
                continue
            if line.startswith("MSH") and current:
                number += 1
                yield number, "\r".join(current)
                current = []
            current.append(line)
    if current:
        yield number + 1, "\r".join(current)


def _map(text: str, position: str, ctx: MapContext) -> Outcome:
    """The mapper rejects bad messages itself; this boundary keeps an unforeseen shape of
    input (a mapper or hl7apy bug) from ending the whole load: it is quarantined instead."""
    try:
        return map_message(text, position=position, ctx=ctx)
    except Exception as exc:  # the message is quarantined with the error type
        return Rejection(SOURCE, position, None, f"unmappable message ({type(exc).__name__})")


def outcomes(paths: Sequence[Path], ctx: MapContext) -> Iterator[Outcome]:
    """Every HL7 v2 message in `paths` (files or folders) as MappedRecord/Rejection/Skipped."""
    for path, label in _files(paths):
        try:
            for number, text in messages(path):
                yield _map(text, f"{label}#msg{number}", ctx)
        except OSError as exc:
            yield Rejection(SOURCE, label, None, f"unreadable file: {type(exc).__name__}")
