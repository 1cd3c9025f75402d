"""Pseudonymisation at the boundary: NHS number checks, keyed tokens, coarsened attributes.

Pure functions. The HMAC key and the pseudonymisation domain come from settings and are
passed in as a :class:`Pseudonymiser`; nothing here logs or returns a raw identifier.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date

from openfdp.settings import Settings

_NON_DIGITS = re.compile(r"[\s-]")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


_TEN_ASCII_DIGITS = re.compile(r"[0-9]{10}")
#: placeholder values systems record when the number is unknown: they pass Modulus 11 but
#: identify no-one (every number of one repeated digit, and the ascending/descending runs)
PLACEHOLDER_NHS_NUMBERS = frozenset({str(d) * 10 for d in range(10)} | {"0123456789", "9876543210"})


def normalise_nhs_number(raw: str | None) -> str | None:
    """Strip spaces and hyphens; return the 10 digits, or None if it is not 10 ASCII digits
    (NHS NUMBER is n10: Arabic-Indic, full-width and other Unicode digits are not digits of
    an NHS number, although ``str.isdigit`` says they are)."""
    if raw is None:
        return None
    digits = _NON_DIGITS.sub("", raw.strip())
    return digits if _TEN_ASCII_DIGITS.fullmatch(digits) else None


def is_placeholder_nhs_number(raw: str | None) -> bool:
    """A placeholder (e.g. 0000000000, 9999999999): to be treated as missing, never linked on."""
    return normalise_nhs_number(raw) in PLACEHOLDER_NHS_NUMBERS


def nhs_number_is_valid(raw: str | None) -> bool:
    """Modulus 11 with weights 10..2; a check value of 11 means 0, 10 means invalid. A
    placeholder passes Modulus 11 but is never a valid (verifiable) NHS number."""
    digits = normalise_nhs_number(raw)
    if digits is None or digits in PLACEHOLDER_NHS_NUMBERS:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def looks_like_valid_nhs_number(text: str) -> list[str]:
    """Every 10-digit run in `text` (spaces/hyphens allowed as 3-3-4) that passes Modulus 11.

    Used by the privacy scans in tests and by the log filter.
    """
    found = []
    for m in re.finditer(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)", text):
        candidate = "".join(m.groups())
        if nhs_number_is_valid(candidate):
            found.append(candidate)
    return found


def normalise_postcode(raw: str | None) -> str | None:
    """Upper-case UK postcode with one space, or None if it is not a full postcode."""
    if not raw:
        return None
    compact = re.sub(r"\s+", "", raw.upper())
    m = _POSTCODE.match(compact)
    return f"{m.group(1)} {m.group(2)}" if m else None


def postcode_area(raw: str | None) -> str | None:
    """The outward code (postcode district, e.g. ``LS1``): the coarse area kept in the graph."""
    if not raw:
        return None
    full = normalise_postcode(raw)
    if full:
        return full.split(" ")[0]
    compact = raw.strip().upper()
    return compact if _OUTWARD.match(compact) else None


def year_of_birth(iso_date: str | None) -> int | None:
    if not iso_date:
        return None
    try:
        return date.fromisoformat(iso_date[:10]).year
    except ValueError:
        return None


@dataclass(frozen=True)
class Pseudonymiser:
    """Keyed HMAC-SHA256 tokens scoped by a pseudonymisation domain.

    ``link_key``/``link_domain``: the key and domain linkage evidence is encoded under
    (``settings.share.linkage_key``/``linkage_domain``, shared by the instances of one ICS);
    unset, the pseudonymisation key and domain (central mode).
    """

    key: bytes = field(repr=False)
    domain: str
    link_key: bytes | None = field(default=None, repr=False)
    link_domain: str | None = None

    @property
    def linkage_key(self) -> bytes:
        return self.link_key if self.link_key is not None else self.key

    @property
    def linkage_domain(self) -> str:
        return self.link_domain if self.link_domain is not None else self.domain

    def token(self, kind: str, value: str) -> str:
        msg = f"{self.domain}|{kind}:{value}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()

    def person_id(
        self,
        *,
        nhs_number: str | None,
        provider_ods: str | None = None,
        local_patient_id: str | None = None,
        source: str | None = None,
        record_key: str | None = None,
    ) -> str:
        """The pseudo_id of a person (see docs/graph-model.md, "Identity and pseudonymisation").

        `nhs_number` must already be verified (Modulus 11); pass None otherwise.
        """
        if nhs_number:
            return self.token("nhs", nhs_number)
        if provider_ods and local_patient_id:
            return self.token("local", f"{provider_ods}:{local_patient_id}")
        if source and record_key:
            return self.token("record", f"{source}:{record_key}")
        raise ValueError("a person needs an NHS number, a local patient id, or a source record key")

    def person_key(self, pseudo_id: str) -> dict[str, str]:
        return {"pseudonymisation_domain": self.domain, "pseudo_id": pseudo_id}


def content_hash(canonical: str | bytes) -> str:
    data = canonical.encode() if isinstance(canonical, str) else canonical
    return hashlib.sha256(data).hexdigest()


def pseudonymiser_for(settings: Settings) -> Pseudonymiser:
    """The one pseudonymiser of a process, from ``settings.privacy`` (key and domain); built at
    the edge (a command, the API's start) and passed down to the mappers and the linkage."""
    link = settings.share.linkage_key
    return Pseudonymiser(
        key=settings.privacy.hmac_key.get_secret_value().encode(),
        domain=settings.privacy.domain,
        link_key=None if link is None else link.get_secret_value().encode(),
        link_domain=settings.share.linkage_domain,
    )
