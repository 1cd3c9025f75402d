"""HL7 v2 message parsing for the ADT mapper: a message as its segments by name, the ER7
text of a field or component path (empty when absent), and the HL7 TS/DTM timestamps
(to aware UTC; without an offset a time is UK local time) and dates it carries, whose
malformed values raise a :class:`MappingError` naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException
from hl7apy.parser import parse_message

from openfdp.loaders.mapping.fhir_common import MappingError

LONDON = ZoneInfo("Europe/London")  # HL7 times without an offset are local (UK) times
_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d{1,4})?([+-]\d{4})?$")


@dataclass
class Message:
    segments: dict[str, list[Any]]

    def first(self, name: str) -> Any | None:
        found = self.segments.get(name)
        return found[0] if found else None


def value(element: Any, path: str) -> str:
    """The ER7 text of a field/component path like ``pid_3`` or ``pv1_3.pl_4``."""
    node = element
    try:
        for part in path.split("."):
            node = getattr(node, part)
        return str(node.to_er7()).strip()
    except (HL7apyException, AttributeError, IndexError):
        return ""


def parse_ts(raw: str, field: str) -> datetime | None:
    """HL7 TS/DTM -> aware UTC datetime (no offset: Europe/London local time)."""
    raw = raw.split("^", maxsplit=1)[0].strip()
    if not raw:
        return None
    m = _TS.match(raw)
    if not m:
        raise MappingError(field, "unparseable timestamp")
    year, month, day, hour, minute, second, offset = m.groups()
    try:
        when = datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0),
        )  # fmt: skip
    except ValueError:
        raise MappingError(field, "not a valid date/time") from None
    if offset:
        sign = 1 if offset[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return when.replace(tzinfo=tz).astimezone(UTC)
    return when.replace(tzinfo=LONDON).astimezone(UTC)


def parse_date(raw: str, field: str) -> date | None:
    raw = raw.split("^", maxsplit=1)[0].strip()
    if not raw:
        return None
    if len(raw) < 8:
        raise MappingError(field, "not a full date")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        raise MappingError(field, "not a valid date") from None


def segments_of(text: str) -> Message:
    message = parse_message(text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    segments: dict[str, list[Any]] = {}
    for seg in message.children:
        segments.setdefault(seg.name, []).append(seg)
    return Message(segments)
