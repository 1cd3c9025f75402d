"""``openfdp share export``: a signed, incremental data product of one agreement.

The items (records, reference data, persons by shared reference, keyed linkage evidence) are
compared with what the receiver acknowledged (:mod:`openfdp.loaders.share.ledger`): changed
items and tombstones go into the product, with the sender's current opt-outs. The folder is
written under a temporary name and renamed when complete. Format: docs/federation.md,
"Product format".
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j import Driver
from openfdp.loaders.privacy import pseudonymiser_for
from openfdp.loaders.share import agreements
from openfdp.loaders.share.classes import allowed_labels, labels_for
from openfdp.loaders.share.collect import collect
from openfdp.loaders.share.items import parse_item_id
from openfdp.loaders.share.ledger import Ledger, ledger_path
from openfdp.loaders.share.manifest import FORMAT, write_files, write_signed
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings


@dataclass
class ExportSummary:
    export_id: str
    folder: Path
    agreement_id: str
    seq: int
    since_export: str | None
    rows: dict[str, int] = field(default_factory=dict)


def export_product(
    driver: Driver, settings: Settings, ontology: Ontology, agreement_id: str, out: Path
) -> ExportSummary:
    sender = agreements.this_instance(settings)
    agreement = agreements.require(driver, settings, agreement_id)
    agreements.check_active(agreement, sender=sender, receiver=None)
    classes = sorted(agreement["data_classes"])
    now = datetime.now(UTC)
    with Ledger(ledger_path(settings.state_dir)) as ledger:
        acked = ledger.acked_state(agreement_id)
        since, since_seq = ledger.last_acked(agreement_id)
        seq = ledger.next_seq(agreement_id)
        export_id = f"{sender}-{agreement_id}-{seq:06d}-{secrets.token_hex(4)}"
        found = collect(
            driver,
            settings,
            ontology,
            pseudonymiser_for(settings),
            sender=sender,
            labels=labels_for(classes),
            allowed=allowed_labels(classes),
        )
        nodes = [i for i in found.nodes if acked.get(i["item"]) != i["hash"]]
        evidence = [e for e in found.evidence if acked.get(e["item"]) != e["hash"]]
        present = {i["item"] for i in found.nodes}
        tombstones = [
            {"item": item, "label": parse_item_id(item)[0], "key": parse_item_id(item)[1]}
            for item in sorted(acked)
            if not item.startswith("ev|") and item not in present
        ]
        out.mkdir(parents=True, exist_ok=True)
        partial = out / f".{export_id}.partial"
        partial.mkdir()
        try:
            files = write_files(partial, nodes, tombstones, evidence, found.opt_outs)
            manifest: dict[str, Any] = {
                "format": FORMAT,
                "export_id": export_id,
                "agreement_id": agreement_id,
                "sender_ods": sender,
                "receiver_ods": agreement["receiver_ods"],
                "ontology_version": ontology.version,
                "created_at": now.isoformat(timespec="seconds"),
                "watermark": {"since_export": since, "since_seq": since_seq, "seq": seq},
                "data_classes": classes,
                "purposes": sorted(agreement["purposes"]),
                "files": files,
            }
            write_signed(partial, manifest, settings)
            folder = out / export_id
            partial.rename(folder)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        changes = [(i["item"], i["hash"]) for i in nodes + evidence]
        changes += [(t["item"], None) for t in tombstones]
        ledger.record_export(agreement_id, export_id, seq, manifest["created_at"], changes)
    rows = {name: int(meta["rows"]) for name, meta in files.items()}
    return ExportSummary(export_id, folder, agreement_id, seq, since, rows)
