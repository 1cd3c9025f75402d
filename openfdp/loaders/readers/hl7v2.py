"""HL7 v2 reader: splits files into messages, one message in memory at a time.

Segments may end in CR (the standard), LF or CR LF; a file may hold many messages (each
starts at an ``MSH`` segment); MLLP framing bytes and batch envelopes (FHS/BHS/BTS/FTS) are
ignored. Each message is read as bytes and decoded by its MSH-18 character set
(:mod:`openfdp.loaders.readers.hl7v2_charset`); one that does not decode is quarantined. Each
message is handed to the pure mapper with its position ``file#msgN``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from openfdp.loaders.mapping.hl7v2 import SOURCE, map_message
from openfdp.loaders.model import MapContext, Outcome, Rejection
from openfdp.loaders.readers.hl7v2_charset import CharsetProblem, decode_message

_SUFFIXES = (".hl7", ".txt", ".er7", ".msg")
_FRAMING_BYTES = b"\x0b\x1c"
_ENVELOPE_BYTES = tuple(e.encode() for e in ("FHS", "BHS", "BTS", "FTS"))
_EOL = re.compile(rb"\r\n|\r|\n")


def _files(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    for root in paths:
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SUFFIXES)
        else:
            files = [root]
        for path in files:
            yield path, str(path.relative_to(root.parent))


def raw_messages(path: Path) -> Iterator[tuple[int, bytes]]:
    """(message number from 1, segments joined by CR, as bytes) of one file, streamed."""
    current: list[bytes] = []
    number = 0
    for raw in _segments(path):
        line = raw.strip(_FRAMING_BYTES + b"\r\n").lstrip()
        if not line or line.startswith(_ENVELOPE_BYTES):
            continue
        if line.startswith(b"MSH") and current:
            number += 1
            yield number, b"\r".join(current)
            current = []
        current.append(line)
    if current:
        yield number + 1, b"\r".join(current)


def _segments(path: Path, chunk: int = 1 << 16) -> Iterator[bytes]:
    """Lines of a file ending in CR, LF or CR LF, read in chunks (memory stays flat)."""
    rest = b""
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            parts = _EOL.split(rest + block)
            rest = parts.pop()
            yield from parts
    if rest:
        yield rest


def messages(path: Path) -> Iterator[tuple[int, str]]:
    """(message number, text) of one file; a message its MSH-18 cannot decode is left out
    here (:func:`outcomes` quarantines it)."""
    for number, raw in raw_messages(path):
        try:
            yield number, decode_message(raw)
        except CharsetProblem:
            continue


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
            for number, raw in raw_messages(path):
                position = f"{label}#msg{number}"
                try:
                    text = decode_message(raw)
                except CharsetProblem as exc:
                    yield Rejection(SOURCE, position, "MSH-18", str(exc))
                    continue
                yield _map(text, position, ctx)
        except OSError as exc:
            yield Rejection(SOURCE, label, None, f"unreadable file: {type(exc).__name__}")
