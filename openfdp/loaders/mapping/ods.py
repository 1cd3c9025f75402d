"""ODS reference data -> organisation hierarchy rows (pure).

Handles the ODS national CSV extracts (``etr.csv`` trusts, ``eccg.csv`` sub-ICB locations,
both without a header row, 27 columns), the ONS ICB names and codes lookup and the NHS
Digital GP practice -> PCN -> CCG -> ICB mapping. Also holds the ODS code helpers used by
the FHIR and HL7 v2 mappers (format checks, organisation class from a code, and the
surrogate code of a foreign organisation that has no ODS code).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence

from openfdp.loaders.model import MappedRecord, NodeRow, Outcome, Props, Rejection, RelRow, Skipped
from openfdp.loaders.privacy import content_hash, postcode_area

TRUST_CODE = re.compile(r"^(?:[RT][A-Z0-9]{2}|[A-Z0-9]{5})$")  # R0A, TAD, new G6V2S
SITE_CODE = re.compile(r"^[RT][A-Z0-9]{4}$")  # trust code + 2, e.g. RCB55, RR813
ICB_CODE = re.compile(r"^Q[A-Z0-9]{2}$")
# 00L, 16C, 15N (former CCG codes) and the newer letter-digit form, e.g. M1J4Y
SUB_ICB_CODE = re.compile(r"^(?:[0-9][0-9A-Z][A-Z0-9]|[A-Z][0-9][A-Z][0-9][A-Z])$")
GP_CODE = re.compile(r"^[A-Z][0-9]{5}$")
PCN_CODE = re.compile(r"^U[0-9]{5}$")
ONS_ICB_CODE = re.compile(r"^E54[0-9]{6}$")
ANY_ODS = re.compile(r"^[A-Z0-9]{3,6}$")

#: provider_ods / ods_code surrogate prefix for organisations without an ODS code. Real ODS
#: codes are 3-6 characters, so a 10-character ``X…`` code can never collide with one.
SURROGATE_PREFIX = "X"


def surrogate_ods(system: str, value: str) -> str:
    """A stable 10-character code for a foreign organisation identified by (system, value)."""
    digest = hashlib.sha256(f"{system}|{value}".encode()).hexdigest()
    return SURROGATE_PREFIX + digest[:9].upper()


def is_surrogate(code: str) -> bool:
    return len(code) == 10 and code.startswith(SURROGATE_PREFIX)


def org_label(code: str | None) -> str | None:
    """The ontology class an ODS code denotes, from its format alone (None if not ODS)."""
    if not code:
        return None
    code = code.strip().upper()
    if ICB_CODE.match(code):
        return "ICB"
    if PCN_CODE.match(code):
        return "PCN"
    if GP_CODE.match(code):
        return "GPPractice"
    if SUB_ICB_CODE.match(code):
        return "SubICBLocation"
    if SITE_CODE.match(code):
        return "Site"
    if TRUST_CODE.match(code) and code[0] in "RT":
        return "NHSTrust"
    return None


def trust_of_site(site_code: str) -> str | None:
    """The trust an ODS site code belongs to (its first three characters), if it is one."""
    return site_code[:3] if SITE_CODE.match(site_code) else None


def canonical_hash(record: object) -> str:
    return content_hash(json.dumps(record, sort_keys=True, separators=(",", ":"), default=str))


def _clean(props: Props) -> Props:
    return {k: v for k, v in props.items() if v not in (None, "")}


def _org(label: str, code: str, **props: object) -> NodeRow:
    return NodeRow(label, {"ods_code": code}, _clean(dict(props)))


def _rel(rel: str, start: NodeRow, end: NodeRow) -> RelRow:
    return RelRow(rel, start.label, start.key, end.label, end.key)


def _title(name: str) -> str:
    return " ".join(name.split())


# --- ODS national extracts (no header; 27 columns) ------------------------------------------

ODS_COLUMNS = 27


def _ods_row(source: str, position: str, row: Sequence[str]) -> Rejection | None:
    if len(row) < 12:
        return Rejection(source, position, None, f"expected {ODS_COLUMNS} columns, got {len(row)}")
    return None


def map_etr_row(row: Sequence[str], *, position: str) -> Outcome:
    """etr.csv: 1 code, 2 name, 3 region, 4 ICB, 10 postcode, 11 open date, 12 close date."""
    source = "ods:etr"
    bad = _ods_row(source, position, row)
    if bad:
        return bad
    code, name, icb = row[0].strip().upper(), _title(row[1]), row[3].strip().upper()
    if not TRUST_CODE.match(code):
        return Rejection(source, position, "organisation_code", "not an NHS trust ODS code")
    if not name:
        return Rejection(source, position, "name", "missing organisation name")
    trust = _org("NHSTrust", code, name=name, postcode_district=postcode_area(row[9]))
    nodes, rels = [trust], []
    if ICB_CODE.match(icb):
        rels.append(_rel("IN_ICB_GEOGRAPHY", trust, _org("ICB", icb)))
    elif icb:
        return Rejection(source, position, "icb_code", "column 4 is not an ICB code (Q..)")
    return MappedRecord(source, position, code, canonical_hash(list(row)), nodes, rels)


SUB_ICB_ROLE = "RO319"


def map_eccg_row(row: Sequence[str], *, position: str) -> Outcome:
    """eccg.csv: sub-ICB locations (role RO319) and the historic CCGs they replaced."""
    source = "ods:eccg"
    bad = _ods_row(source, position, row)
    if bad:
        return bad
    code, name, icb = row[0].strip().upper(), _title(row[1]), row[3].strip().upper()
    roles = set(row[13].split("|")) if len(row) > 13 and row[13] else set()
    if roles and SUB_ICB_ROLE not in roles:
        return Skipped(source, position, f"ODS role {'|'.join(sorted(roles))} not mapped")
    if not SUB_ICB_CODE.match(code):
        return Rejection(source, position, "organisation_code", "not a sub-ICB location code")
    if not name:
        return Rejection(source, position, "name", "missing organisation name")
    sub = _org("SubICBLocation", code, name=name)
    nodes, rels = [sub], []
    if ICB_CODE.match(icb):
        rels.append(_rel("PART_OF", sub, _org("ICB", icb)))
    elif icb:
        return Rejection(source, position, "icb_code", "column 4 is not an ICB code (Q..)")
    return MappedRecord(source, position, code, canonical_hash(list(row)), nodes, rels)


def map_icb_row(row: Mapping[str, str], *, position: str) -> Outcome:
    """ONS ICB names and codes: ICB24CD (E54…), ICB24CDH (ODS Q..), ICB24NM."""
    source = "ods:icb"
    code = (row.get("ICB24CDH") or "").strip().upper()
    ons = (row.get("ICB24CD") or "").strip().upper()
    name = _title(row.get("ICB24NM") or "")
    if not ICB_CODE.match(code):
        return Rejection(source, position, "ICB24CDH", "not an ICB ODS code (Q..)")
    if ons and not ONS_ICB_CODE.match(ons):
        return Rejection(source, position, "ICB24CD", "not an ONS ICB code (E54……)")
    node = _org("ICB", code, name=name, ons_code=ons)
    return MappedRecord(source, position, code, canonical_hash(dict(row)), [node], [])


def map_gp_row(row: Mapping[str, str], *, position: str) -> Outcome:
    """GP practice -> PCN -> CCG (sub-ICB location) -> STP (ICB) mapping, one practice a row."""
    source = "ods:gp"
    practice = (row.get("PRACTICE_CODE") or "").strip().upper()
    pcn = (row.get("PCN_CODE") or "").strip().upper()
    ccg = (row.get("CCG_CODE") or "").strip().upper()
    icb = (row.get("STP_CODE") or "").strip().upper()
    if not GP_CODE.match(practice):
        return Rejection(source, position, "PRACTICE_CODE", "not a GP practice code (A99999)")
    if ccg and not SUB_ICB_CODE.match(ccg):
        return Rejection(source, position, "CCG_CODE", "not a sub-ICB location code")
    if icb and not ICB_CODE.match(icb):
        return Rejection(source, position, "STP_CODE", "not an ICB code (Q..)")
    if pcn not in ("", "U") and not PCN_CODE.match(pcn):
        return Rejection(source, position, "PCN_CODE", "not a PCN code (U99999)")
    gp = _org("GPPractice", practice, name=_title(row.get("PRACTICE_NAME") or ""))
    nodes, rels = [gp], []
    # Sub-ICB locations and ICBs are only referenced (their own files name them: this 2022
    # file's CCG names are superseded); a reference MERGEs a key-only node if need be.
    sub = _org("SubICBLocation", ccg) if ccg else None
    if PCN_CODE.match(pcn):  # "U" = unallocated: the practice belongs to no PCN
        pcn_node = _org("PCN", pcn, name=_title(row.get("PCN_NAME") or ""))
        nodes.append(pcn_node)
        rels.append(_rel("MEMBER_OF", gp, pcn_node))
        if sub:
            rels.append(_rel("IN", pcn_node, sub))
    if sub and icb:
        rels.append(_rel("PART_OF", sub, _org("ICB", icb)))
    return MappedRecord(source, position, practice, canonical_hash(dict(row)), nodes, rels)
