"""Gathering the current items of an agreement at the sender: records of its data classes,
the reference nodes they point at, their persons by shared reference, the persons' keyed
linkage evidence and the opted-out persons' shared references."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver
from openfdp.loaders.linkage.encode import BLOOM_COLUMNS, COUNT_COLUMNS, TOKEN_COLUMNS
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.share.classes import NOT_SHARED, PERSON
from openfdp.loaders.share.codec import digest, encode_value
from openfdp.loaders.share.identity import shared_ref
from openfdp.loaders.share.items import Item, ItemBuilder
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings
from openfdp.store import share_read

EVIDENCE_COLUMNS = (*TOKEN_COLUMNS, *BLOOM_COLUMNS, *COUNT_COLUMNS)


@dataclass
class Collected:
    nodes: list[Item] = field(default_factory=list)
    evidence: list[Item] = field(default_factory=list)
    opt_outs: list[dict[str, Any]] = field(default_factory=list)


def collect(
    driver: Driver,
    settings: Settings,
    ontology: Ontology,
    ps: Pseudonymiser,
    *,
    sender: str,
    labels: Iterable[str],
    allowed: Iterable[str],
) -> Collected:
    db = settings.neo4j.database
    labels = list(labels)
    builder = ItemBuilder(ontology, sender, allowed)
    out = Collected()
    for label in labels:
        for row in share_read.records(driver, ontology, label, ods=sender, skip=NOT_SHARED,
                                      database=db):  # fmt: skip
            out.nodes.append(builder.record(label, row["props"], row["rels"]))
    people = []
    if PERSON in set(allowed):
        people = list(
            share_read.persons(driver, domain=ps.domain, labels=labels, ods=sender,
                               skip=NOT_SHARED, database=db)
        )  # fmt: skip
    pids = [str(p["props"]["pseudo_id"]) for p in people]
    with EvidenceStore(default_path(settings.state_dir), ps) as store:
        frame = store.rows_of(ps.domain, pids) if pids else None
    id_tok: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    if frame is not None and len(frame):
        records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
        for r in records:
            if r["nhs_verified"] and isinstance(r["id_tok"], str):
                id_tok.setdefault(str(r["person_id"]), r["id_tok"])
    refs: dict[str, str] = {}
    for p in people:
        pid = str(p["props"]["pseudo_id"])
        has_records = any(r["type"] == "SUBJECT_OF" for r in p["rels"])
        if not has_records and pid not in id_tok:
            continue  # an opt-out of someone with no record here and no shared reference
        refs[pid] = shared_ref(ps, sender_ods=sender, pseudo_id=pid, id_tok=id_tok.get(pid))
        out.nodes.append(builder.person(refs[pid], p["props"], p["rels"]))
        if p["props"].get("ndoo_opt_out"):
            out.opt_outs.append({"person_ref": refs[pid]})
    out.nodes.extend(builder.references.values())
    for r in records:
        ref = refs.get(str(r["person_id"]))
        if ref is None:
            continue
        body = {
            "person_ref": ref,
            "provider_ods": r["provider_ods"],
            "nhs_verified": bool(r["nhs_verified"]),
            **{c: _plain(r[c]) for c in EVIDENCE_COLUMNS if _plain(r[c]) is not None},
        }
        h = digest(body)
        out.evidence.append({"item": f"ev|{h}", "hash": h, **body})
    out.opt_outs.sort(key=lambda x: x["person_ref"])
    return out


def _plain(value: Any) -> Any:
    """A DuckDB/pandas cell as a JSON value (NaN and NA as None, blobs as base64)."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return encode_value(bytes(value))
    try:
        if value != value:  # noqa: PLR0124 - NaN
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
