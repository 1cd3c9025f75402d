"""Shared pieces of the trust CSV mappers: field checks, the person at the boundary, rows.

Every check raises :class:`FieldProblem` naming the field and the rule broken, never the
value, so the message can go to a quarantine file as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from openfdp.loaders.model import IdentityEvidence, MapContext, NodeRow, RelRow
from openfdp.loaders.privacy import (
    content_hash,
    is_placeholder_nhs_number,
    nhs_number_is_valid,
    normalise_nhs_number,
    normalise_postcode,
    postcode_area,
    year_of_birth,
)

Row = dict[str, str]
TRUST_ODS = re.compile(r"^(?:[A-Z0-9]{3}|[A-Z0-9]{5})$")
SITE_ODS = re.compile(r"^[A-Z0-9]{5}$")
_SEX_ALIASES = {"M": "1", "MALE": "1", "F": "2", "FEMALE": "2", "U": "9", "UNKNOWN": "9"}
_YES = {"Y", "YES", "TRUE", "1"}
_NO = {"N", "NO", "FALSE", "0"}


class FieldProblem(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Line:
    """One CSV row with where it came from."""

    extract: str  # e.g. "waiting_list"
    file: str
    line: int
    row: Row

    @property
    def source(self) -> str:
        return f"csv:{self.extract}"

    @property
    def position(self) -> str:
        return f"{self.file}:{self.line}"

    def hash(self) -> str:
        return content_hash("\x1f".join(f"{k}={v}" for k, v in sorted(self.row.items())))


def text(row: Row, name: str, *, required: bool = False) -> str | None:
    value = (row.get(name) or "").strip()
    if not value:
        if required:
            raise FieldProblem(name, "required field is missing")
        return None
    if "\ufffd" in value:
        raise FieldProblem(name, "not valid UTF-8 text")
    return value


def req(row: Row, name: str) -> str:
    value = text(row, name, required=True)
    assert value is not None
    return value


def iso_date(row: Row, name: str, *, required: bool = False) -> date | None:
    value = text(row, name, required=required)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldProblem(name, "not a valid ISO date (YYYY-MM-DD)") from None


def integer(row: Row, name: str) -> int | None:
    value = text(row, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise FieldProblem(name, "not a whole number") from None


def boolean(row: Row, name: str) -> bool | None:
    value = text(row, name)
    if value is None:
        return None
    if value.upper() in _YES:
        return True
    if value.upper() in _NO:
        return False
    raise FieldProblem(name, "not Y or N")


def ods(row: Row, name: str, *, site: bool = False, required: bool = False) -> str | None:
    value = text(row, name, required=required)
    if value is None:
        return None
    value = value.upper()
    if not (SITE_ODS if site else TRUST_ODS).match(value):
        kind = "site (5 characters)" if site else "organisation (3 or 5 characters)"
        raise FieldProblem(name, f"not an ODS {kind} code")
    return value


def provider(line: Line, ctx: MapContext, name: str = "provider_ods") -> str:
    value = ods(line.row, name)
    if value is None:
        if ctx.source_ods is None:
            raise FieldProblem(name, "required field is missing (and no --source given)")
        return ctx.source_ods
    return value


def code(
    ctx: MapContext, row: Row, name: str, scheme: str, *, required: bool = False
) -> str | None:
    value = text(row, name, required=required)
    if value is None:
        return None
    codes = ctx.code_lists.get(scheme)
    if codes and value not in codes:
        raise FieldProblem(name, f"not a code of {scheme}")
    return value


def concept(ctx: MapContext, scheme: str, value: str) -> NodeRow:
    display = ctx.code_lists.get(scheme, {}).get(value)
    props: dict[str, Any] = {"display": display} if display else {}
    return NodeRow("CodedConcept", {"system": scheme, "code": value}, props)


def concept_key(scheme: str, value: str) -> dict[str, str]:
    return {"system": scheme, "code": value}


def trust_key(ods_code: str) -> dict[str, str]:
    return {"ods_code": ods_code}


def site_rows(site: str, trust: str) -> tuple[NodeRow, RelRow]:
    return (
        NodeRow("Site", {"ods_code": site}),
        RelRow("PART_OF", "Site", {"ods_code": site}, "NHSTrust", {"ods_code": trust}),
    )


def person(line: Line, ctx: MapContext, provider_ods: str) -> tuple[NodeRow, IdentityEvidence]:
    """The pseudonymised person of a patient-level row, and its in-memory identity evidence.

    An NHS number failing Modulus 11 is not an error: the person is keyed by the local
    patient id (or the record) and ``nhs_number_verified`` is false.
    """
    row = line.row
    raw_nhs = normalise_nhs_number(row.get("nhs_number"))
    placeholder = is_placeholder_nhs_number(raw_nhs)
    if placeholder:  # missing, not a mistyped number: never identity evidence
        raw_nhs = None
    nhs = raw_nhs if raw_nhs and nhs_number_is_valid(raw_nhs) else None
    local_id = text(row, "local_patient_id")
    birth = iso_date(row, "birth_date")
    pseudo_id = ctx.pseudonymiser.person_id(
        nhs_number=nhs,
        provider_ods=provider_ods,
        local_patient_id=local_id,
        source=line.source,
        record_key=f"{line.file}:{line.line}",
    )
    key = ctx.pseudonymiser.person_key(pseudo_id)
    sex_raw = (text(row, "sex") or "").upper()
    sex = _SEX_ALIASES.get(sex_raw, sex_raw) or None
    sexes = ctx.code_lists.get("SEX")
    if sex and sexes and sex not in sexes:
        raise FieldProblem("sex", "not a code of SEX")
    props: dict[str, Any] = {
        "nhs_number_verified": nhs is not None,
        "year_of_birth": year_of_birth(birth.isoformat()) if birth else None,
        "sex_code": sex,
        "area_code": postcode_area(row.get("postcode")),
        "cluster_id": pseudo_id,
        "nhs_number_placeholder": True if placeholder else None,
    }
    evidence = IdentityEvidence(
        person_ref=key,
        provider_ods=provider_ods,
        local_patient_id=local_id,
        nhs_number=nhs,
        given_name=text(row, "given_name"),
        family_name=text(row, "family_name"),
        birth_date=birth.isoformat() if birth else None,
        sex_code=sex,
        postcode=normalise_postcode(row.get("postcode")),
        unverified_nhs_number=raw_nhs if raw_nhs and nhs is None else None,
        address_line=text(row, "address_line"),
    )
    return NodeRow(
        "PseudonymisedPerson", key, {k: v for k, v in props.items() if v is not None}
    ), evidence


def subject_of(person_row: NodeRow, label: str, key: dict[str, Any]) -> RelRow:
    return RelRow("SUBJECT_OF", "PseudonymisedPerson", person_row.key, label, key)
