"""HL7 v2 character sets: decode each message by its MSH-18 (HL7 table 0211).

A message is read as bytes and decoded by the character set it declares; a byte that is not
valid in that set makes the message a quarantine reason (names feed linkage, so nothing is
replaced silently). A message without MSH-18 is read as UTF-8: HL7's default is 7-bit
ASCII, of which UTF-8 is a superset, and UK feeds commonly send UTF-8 undeclared.
"""

from __future__ import annotations

import codecs

#: MSH-18 value (HL7 table 0211) -> Python codec
CHARSETS: dict[str, str] = {
    "": "utf-8",
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "UNICODE UTF-8": "utf-8",
    # ISO 10646 with no encoding named (NHS ITK messages declare it): the MSH segment was
    # found as 8-bit text, so the message is not UTF-16/32; UTF-8 is the encoding it can be
    "UNICODE": "utf-8",
    "8859/1": "iso8859-1",
    "ISO IR100": "iso8859-1",
    "8859/15": "iso8859-15",
    **{f"8859/{n}": f"iso8859-{n}" for n in range(2, 10)},
}


class CharsetProblem(Exception):
    """The reason a message cannot be decoded (no value of the message in it)."""


def declared_charset(first_segment: bytes) -> str:
    """MSH-18 of a message's MSH segment (first repetition, upper-case; '' when absent)."""
    if not first_segment.startswith(b"MSH") or len(first_segment) < 4:
        return ""
    fields = first_segment.split(first_segment[3:4])
    if len(fields) < 18:
        return ""
    value = fields[17]
    repeat = first_segment[5:6] if len(first_segment) > 5 else b"~"
    value = value.split(repeat)[0] if repeat else value
    return value.decode("ascii", errors="replace").strip().upper()


def decode_message(raw: bytes) -> str:
    """The text of one message (segments joined by CR) decoded by its MSH-18."""
    declared = declared_charset(raw.split(b"\r", 1)[0])
    codec = CHARSETS.get(declared)
    if codec is None:
        raise CharsetProblem(f"unsupported character set in MSH-18 ({declared[:20]})")
    try:
        return codecs.decode(raw, codec, errors="strict")
    except UnicodeDecodeError as exc:
        name = declared or "UTF-8, the default"
        raise CharsetProblem(
            f"bytes not valid in the declared character set {name} (MSH-18), "
            f"at byte {exc.start} of the message"
        ) from None
