"""Helpers shared by the FHIR mappers: tolerant element access, dates, codes, references.

FHIR resources arrive as JSON-shaped dicts, either parsed from JSON or converted from FHIR
XML (where an element that repeats once is a single dict rather than a list), so every
accessor here accepts both shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from openfdp.loaders.mapping.ods import canonical_hash
from openfdp.loaders.model import Props
from openfdp.loaders.privacy import looks_like_valid_nhs_number

Resource = dict[str, Any]

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORG_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
ODS_SITE_SYSTEM = "https://fhir.nhs.uk/Id/ods-site-code"
ODS_SYSTEMS = (ODS_ORG_SYSTEM, ODS_SITE_SYSTEM)

#: FHIR coding system URI -> CodedConcept.system
CODE_SYSTEMS = {
    "http://snomed.info/sct": "SNOMED",
    "http://hl7.org/fhir/sid/icd-10": "ICD10",
    "http://hl7.org/fhir/sid/icd-10-uk": "ICD10",
    "https://fhir.hl7.org.uk/Id/icd-10": "ICD10",
    "https://fhir.hl7.org.uk/Id/icd-10-uk": "ICD10",
    "https://fhir.hl7.org.uk/Id/opcs-4": "OPCS4",
    "http://fhir.hl7.org.uk/Id/opcs-4": "OPCS4",
    "https://fhir.nhs.uk/Id/opcs-4": "OPCS4",
}
CODE_FORMATS = {
    "SNOMED": re.compile(r"^[1-9][0-9]{5,17}$"),
    "ICD10": re.compile(r"^[A-Z][0-9]{2}(?:\.?[0-9X]{1,2})?[A-Z0-9]?$"),
    "OPCS4": re.compile(r"^[A-Z][0-9]{2}(?:\.?[0-9]{1,2})?$"),
}


class MappingError(ValueError):
    """A record that cannot be mapped; the message names the field, never its value."""

    def __init__(self, field_name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first(value: Any) -> Any:
    items = as_list(value)
    return items[0] if items else None


def text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    out = str(value).strip()
    return out or None


def drop_none(props: Props) -> Props:
    return {k: v for k, v in props.items() if v is not None and v != ""}


def record_hash(resource: Resource) -> str:
    return canonical_hash(resource)


def safe_id(value: str) -> str:
    """A resource id for keys: kept as is unless it could carry an NHS number."""
    if looks_like_valid_nhs_number(value) or len(value) > 64:
        return "h" + canonical_hash(value)[:24]
    return value


# --- dates ----------------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def parse_datetime(value: Any, field_name: str) -> datetime | None:
    """FHIR dateTime/instant -> aware UTC datetime (a date alone means midnight UTC)."""
    raw = text(value)
    if raw is None:
        return None
    try:
        if _DATE.match(raw):
            parts = [int(p) for p in raw.split("-")] + [1, 1]
            return datetime(parts[0], parts[1], parts[2], tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise MappingError(field_name, "unparseable date/time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: Any, field_name: str) -> date | None:
    """The calendar date of a FHIR date/dateTime as written (before any time-zone shift)."""
    raw = text(value)
    parsed = parse_datetime(raw, field_name)  # validates the whole value
    if raw is None or parsed is None:
        return None
    return date.fromisoformat(raw[:10]) if len(raw) >= 10 else parsed.date()


# --- codes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Code:
    system: str  # CodedConcept.system, e.g. SNOMED
    code: str
    display: str | None


def pick_code(concept: Any, prefer: tuple[str, ...]) -> Code | None:
    """The first coding of a CodeableConcept in a known system, in order of preference."""
    found: dict[str, Code] = {}
    for coding in as_list(first(concept).get("coding") if isinstance(first(concept), dict) else []):
        if not isinstance(coding, dict):
            continue
        system = CODE_SYSTEMS.get(text(coding.get("system")) or "")
        code = text(coding.get("code"))
        if system and code and system not in found:
            code = code.upper() if system != "SNOMED" else code
            if CODE_FORMATS[system].match(code):
                found[system] = Code(system, code, text(coding.get("display")))
    for system in prefer:
        if system in found:
            return found[system]
    return None


def coding_code(concept: Any) -> str | None:
    """The code of the first coding of a CodeableConcept (any system)."""
    item = first(concept)
    if not isinstance(item, dict):
        return None
    coding = first(item.get("coding"))
    return text(coding.get("code")) if isinstance(coding, dict) else None


def extension_code(element: Any, url_suffix: str) -> str | None:
    """The coded value of an extension (matched on the end of its url) of an element."""
    if not isinstance(element, dict):
        return None
    for ext in as_list(element.get("extension")):
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith(url_suffix):
            return coding_code(ext.get("valueCodeableConcept"))
    return None


# --- identifiers and references -------------------------------------------------------------


def identifiers(resource: Resource) -> list[tuple[str, str]]:
    out = []
    for ident in as_list(resource.get("identifier")):
        if isinstance(ident, dict):
            system, value = text(ident.get("system")), text(ident.get("value"))
            if system and value:
                out.append((system, value))
    return out


def ods_code_of(resource: Resource) -> str | None:
    for system, value in identifiers(resource):
        if system in ODS_SYSTEMS:
            return value.upper()
    return None


@dataclass(frozen=True, slots=True)
class Target:
    """What a reference resolves to: a node (label and key) plus what mappers inherit."""

    resource_type: str
    label: str
    key: Props
    provider_ods: str | None = None  # real ODS code of the provider the target belongs to
    fallback_ods: str | None = None  # surrogate provider when no ODS code is known
    site: tuple[str, Props] | None = None  # for a Location that is a Site: (label, key)
    extra: Props = field(default_factory=dict)


def reference_strings(entry_url: str | None, resource: Resource) -> list[str]:
    """Every string by which other resources may refer to this one."""
    rtype, rid = resource.get("resourceType"), text(resource.get("id"))
    refs = [entry_url] if entry_url else []
    if rtype and rid:
        refs.append(f"{rtype}/{rid}")
    for system, value in identifiers(resource):
        refs.append(f"{rtype}?identifier={system}|{value}")
    return refs


def reference_of(ref: Any, expected_type: str | None = None) -> str | None:
    """The lookup string of a Reference element (literal, urn:uuid, conditional, identifier)."""
    ref = first(ref)
    if not isinstance(ref, dict):
        return None
    literal = text(ref.get("reference"))
    if literal:
        if literal.startswith(("urn:uuid:", "urn:oid:")) or "?" in literal:
            return literal
        parts = literal.rstrip("/").split("/")
        if len(parts) >= 4 and parts[-2] == "_history":
            parts = parts[:-2]
        return "/".join(parts[-2:]) if len(parts) >= 2 else literal
    ident = ref.get("identifier")
    if isinstance(ident, dict):
        system, value = text(ident.get("system")), text(ident.get("value"))
        rtype = text(ref.get("type")) or expected_type
        if system and value and rtype:
            return f"{rtype}?identifier={system}|{value}"
    return None
