"""Normalisation of quasi-identifiers before they are encoded (pure, in memory only).

Every function takes a raw value and returns its normalised form, or None when nothing
usable is left. The results are never stored or logged: :mod:`openfdp.loaders.linkage.encode`
turns them into keyed tokens and Bloom-filter encodings straight away.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_NOT_LETTERS = re.compile(r"[^A-Z ]+")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_DATE = re.compile(r"^\s*(\d{4})-?(\d{2})-?(\d{2})")
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})$")
_SEX = {"M": "M", "MALE": "M", "1": "M", "F": "F", "FEMALE": "F", "2": "F"}
_NAME_NOISE = frozenset({"MR", "MRS", "MS", "MISS", "DR", "MX", "PROF", "REV"})


def name_words(raw: str | None) -> list[str]:
    """The words of a name, upper-case letters only, accents folded, titles dropped."""
    if not raw:
        return []
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().upper()
    folded = folded.replace("-", " ").replace("'", "")
    words = [w for w in _SPACES.split(_NOT_LETTERS.sub(" ", folded)) if w]
    return [w for w in words if w not in _NAME_NOISE] or words


def name(raw: str | None) -> str | None:
    """Upper-case letters only: accents folded, titles dropped, hyphens and spaces removed.

    ``"Mary-Ann O'Neil"`` and ``"MARY ANN ONEIL"`` both become ``"MARYANNONEIL"``.
    """
    joined = "".join(name_words(raw))
    return joined or None


@dataclass(frozen=True, slots=True)
class DateParts:
    year: str
    month: str
    day: str

    @property
    def iso(self) -> str:
        return f"{self.year}-{self.month}-{self.day}"


def birth_date(raw: str | None) -> DateParts | None:
    """Year, month and day of an ISO (or compact ``YYYYMMDD``) date.

    The calendar is not checked on purpose: a mistyped date (``1980-13-02``) is still
    evidence that agrees in two of its three parts with the true one.
    """
    if not raw:
        return None
    m = _DATE.match(raw)
    if not m:
        return None
    year, month, day = m.groups()
    if year == "0000" or month == "00" or day == "00":
        return None
    return DateParts(year, month, day)


def sex(raw: str | None) -> str | None:
    """``M`` or ``F`` (NHS person stated gender codes 1/2 accepted); anything else is unknown."""
    if not raw:
        return None
    return _SEX.get(raw.strip().upper())


@dataclass(frozen=True, slots=True)
class PostcodeParts:
    full: str  # compact, e.g. "LS16AB"
    sector: str | None  # UK only, e.g. "LS1 6"
    district: str | None  # UK only, e.g. "LS1"


def postcode(raw: str | None) -> PostcodeParts | None:
    """A compact upper-case postcode, with sector and district when it is a UK postcode."""
    if not raw:
        return None
    compact = _NOT_ALNUM.sub("", raw.upper())
    if len(compact) < 3:
        return None
    m = _UK_POSTCODE.match(compact)
    if m:
        return PostcodeParts(compact, f"{m.group(1)} {m.group(2)}", m.group(1))
    return PostcodeParts(compact, None, None)


def identifier(raw: str | None) -> str | None:
    """The digits of an identifier such as an NHS number (at least four), else None."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    return digits if len(digits) >= 4 else None


_STREET_WORDS = {
    "STREET": "ST",
    "ROAD": "RD",
    "AVENUE": "AVE",
    "LANE": "LN",
    "DRIVE": "DR",
    "CLOSE": "CL",
    "CRESCENT": "CRES",
    "PLACE": "PL",
    "COURT": "CT",
}


def address_line(raw: str | None) -> str | None:
    """First address line, upper-case letters and digits, common street words abbreviated."""
    if not raw:
        return None
    words = _NOT_ALNUM.sub(" ", raw.upper()).split()
    joined = "".join(_STREET_WORDS.get(w, w) for w in words)
    return joined or None


def bigrams(value: str) -> list[str]:
    """Padded character bigrams (``"ANN"`` -> ``_A AN NN N_``), the input of a Bloom filter."""
    padded = f"_{value}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]
