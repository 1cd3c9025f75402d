"""``openfdp share import``: verify a product fully, then load it idempotently, link, and
write a signed receipt.

Nothing is written before :func:`verify_product` passes. The load is one ``LoadBatch``
(source ``share:<agreement id>``, id from the export id) with one ``SourceRecord`` per item,
so a product imported again MERGEs onto the same nodes, and an import killed half-way and
run again ends in the graph of one clean import; ``product_imported`` on the batch is
written last and makes a later import of the same product a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j import Driver
from openfdp.loaders.linkage.run import run_linkage
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.model import MappedRecord, NodeRow, Outcome, RelRow
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import batch_id_for
from openfdp.loaders.privacy import Pseudonymiser, pseudonymiser_for
from openfdp.loaders.share.classes import PERSON, REFERENCE
from openfdp.loaders.share.codec import decode_props, digest, read_lines
from openfdp.loaders.share.errors import ProductRefused
from openfdp.loaders.share.identity import receiver_person_key
from openfdp.loaders.share.items import item_id
from openfdp.loaders.share.manifest import EVIDENCE, NODES, OPT_OUTS, TOMBSTONES
from openfdp.loaders.share.receipt import write_receipt
from openfdp.loaders.share.verify import Verified, verify_product
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings
from openfdp.store import share_import


@dataclass
class ImportSummary:
    export_id: str
    agreement_id: str
    sender_ods: str
    status: str  # imported | already imported
    receipt: Path | None = None
    counts: dict[str, Any] = field(default_factory=dict)


def source_of(agreement_id: str) -> str:
    return f"share:{agreement_id}"


def import_product(
    driver: Driver, settings: Settings, ontology: Ontology, folder: Path, *, batch_size: int = 2000
) -> ImportSummary:
    """Import one product (:func:`import_products` of one folder)."""
    return import_products(driver, settings, ontology, [folder], batch_size=batch_size)[0]


def import_products(
    driver: Driver,
    settings: Settings,
    ontology: Ontology,
    folders: Sequence[Path],
    *,
    batch_size: int = 2000,
) -> list[ImportSummary]:
    """Import several products (e.g. an inbox of every sender's latest) with one linkage run.

    Every product is verified before any is loaded: one refusal refuses them all. They load
    in order of agreement and sequence number; linkage runs once across all senders; then
    each is marked imported and gets its receipt. Killed at any point and re-run, the result
    is that of one clean import (the loads are idempotent; the marks come last).
    """
    db = settings.neo4j.database
    checked = sorted(
        (verify_product(driver, settings, ontology, f) for f in folders),
        key=lambda v: (str(v.manifest["agreement_id"]), int(v.manifest["watermark"]["seq"])),
    )
    ps = pseudonymiser_for(settings)
    pending: list[tuple[Verified, ImportSummary, str]] = []
    done: list[tuple[Verified, ImportSummary]] = []
    for v in checked:
        m = v.manifest
        source = source_of(str(m["agreement_id"]))
        batch_id = batch_id_for(source, str(m["export_id"]))
        out = ImportSummary(str(m["export_id"]), str(m["agreement_id"]), str(m["sender_ods"]), "")
        seq = int(m["watermark"]["seq"])
        if share_import.is_imported(driver, batch_id, database=db):
            out.status = "already imported"
        else:
            last = share_import.last_imported_seq(driver, source, database=db)
            if seq < last:
                raise ProductRefused(
                    f"product {seq} of agreement {m['agreement_id']} is older than product "
                    f"{last}, already imported (its changes are in the later one)"
                )
            out.counts = _load(
                driver, settings, ontology, v, ps=ps, source=source, batch_size=batch_size
            )
            out.status = "imported"
            pending.append((v, out, batch_id))
        done.append((v, out))
    if pending:
        link = run_linkage(driver, settings)
        linkage = {"mode": link.mode, "links_created": link.links_created,
                   "clusters": link.clusters, "persons": link.persons}  # fmt: skip
        for v, out, batch_id in pending:
            out.counts["linkage"] = linkage
            m = v.manifest
            share_import.mark_imported(driver, batch_id, {
                "export_id": m["export_id"], "export_seq": int(m["watermark"]["seq"]),
                "sharing_agreement_id": m["agreement_id"], "source_instance": m["sender_ods"],
                "source_ontology_version": m["ontology_version"],
            }, database=db)  # fmt: skip
    for v, out in done:
        receipt = {
            "export_id": out.export_id, "agreement_id": out.agreement_id,
            "sender_ods": out.sender_ods, "receiver_ods": v.manifest["receiver_ods"],
            "manifest_sha256": v.manifest_sha256, "status": out.status,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"), "counts": out.counts,
        }  # fmt: skip
        out.receipt = write_receipt(v.folder, receipt, settings)
    return [out for _, out in done]


def _load(
    driver: Driver,
    settings: Settings,
    ontology: Ontology,
    v: Verified,
    *,
    ps: Pseudonymiser,
    source: str,
    batch_size: int,
) -> dict[str, Any]:
    """Load one verified product's items, tombstones, opt-outs and evidence (no linkage)."""
    db, folder, m = settings.neo4j.database, v.folder, v.manifest
    load = run_load(
        driver, source=source, outcomes=product_outcomes(folder, source, ps),
        ontology=ontology, input_fingerprint=str(m["export_id"]),
        quarantine_dir=settings.state_dir / "quarantine", batch_size=batch_size, database=db,
    )  # fmt: skip
    counts: dict[str, Any] = {"items": load.read, "loaded": load.loaded,
                              "quarantined": load.quarantined}  # fmt: skip
    ids = [f"{source}:{t['item']}" for t in read_lines(folder / TOMBSTONES)]
    counts["deleted"] = share_import.delete_facts(driver, ids, sorted(REFERENCE), database=db)
    counts["tombstones"] = len(ids)
    refs = [receiver_person_key(ps, r["person_ref"])["pseudo_id"]
            for r in read_lines(folder / OPT_OUTS)]  # fmt: skip
    counts["opt_outs"] = len(refs)
    counts["opt_outs_new"] = share_import.set_opt_outs(driver, ps.domain, refs, database=db)
    with EvidenceStore(default_path(settings.state_dir), ps) as store:
        counts["evidence_added"] = store.add_encoded(list(evidence_rows(folder, ps)))
    return counts


def product_outcomes(folder: Path, source: str, ps: Pseudonymiser) -> Iterator[Outcome]:
    """One mapped record per node item, in the receiver's terms (persons re-keyed)."""
    for n, row in enumerate(read_lines(folder / NODES), start=1):
        label, key, props = row["label"], decode_props(row["key"]), decode_props(row["props"])
        if label == PERSON:
            key = receiver_person_key(ps, str(key["person_ref"]))
            props = {**props, "cluster_id": key["pseudo_id"]}
        rels = [
            RelRow(r["type"], label, key, r["end_label"], decode_props(r["end_key"]),
                   decode_props(r["props"]))
            for r in row["rels"]
        ]  # fmt: skip
        yield MappedRecord(
            source=source, position=f"{NODES}:{n}", record_key=item_id(label, row["key"]),
            content_hash=digest(row), nodes=[NodeRow(label, key, props)], rels=rels,
        )  # fmt: skip


def evidence_rows(folder: Path, ps: Pseudonymiser) -> Iterator[dict[str, Any]]:
    """Evidence rows for the receiver's store: keyed encodings, receiver-domain persons."""
    for row in read_lines(folder / EVIDENCE):
        h = digest(row)
        person = receiver_person_key(ps, str(row.pop("person_ref")))["pseudo_id"]
        record_id = hashlib.sha256(f"{ps.domain}|{h}".encode()).hexdigest()[:32]
        yield {"record_id": record_id, "domain": ps.domain, "person_id": person,
               **decode_props(row)}  # fmt: skip
