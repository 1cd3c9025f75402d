"""Ending or revoking an agreement: at the receiver, every record that came under it goes,
with the persons and links that rested only on them; an audit event records the counts.
Later products under the agreement are refused (it is no longer active). At the sender only
the status changes (nothing of its own data is removed), and it exports no more."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from neo4j import Driver
from openfdp.loaders.linkage.run import _recluster
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.privacy import pseudonymiser_for
from openfdp.loaders.share import agreements
from openfdp.loaders.share.classes import REFERENCE
from openfdp.loaders.share.errors import AgreementError
from openfdp.loaders.share.importer import source_of
from openfdp.loaders.share.keys import check_ods
from openfdp.services.audit import audit_dir
from openfdp.settings import Settings
from openfdp.store import share_agreements, share_import
from openfdp.store.audit_log import AuditLog
from openfdp.store.linkage import LinkGraph

STATUSES = {"revoke": "revoked", "end": "ended"}


def withdraw(driver: Driver, settings: Settings, agreement_id: str, action: str) -> dict[str, Any]:
    """Set the agreement's status and remove what this instance received under it."""
    status = STATUSES[action]
    agreement = agreements.require(driver, settings, agreement_id)
    if agreement["status"] != "active":
        raise AgreementError(f"agreement {agreement_id} is already {agreement['status']}")
    db = settings.neo4j.database
    share_agreements.set_status(driver, agreement_id, status, dt.date.today(), database=db)
    sender = agreement["sender_ods"]
    receiving = bool(settings.instance.ods) and agreement["receiver_ods"] == check_ods(
        str(settings.instance.ods)
    )
    counts = _remove(driver, settings, agreement_id, sender) if receiving else {}
    records = sum(v for k, v in counts.items() if k not in _NOT_RECORDS)
    event = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "subject": getpass.getuser(),
        "channel": "share",
        "operation": f"agreement {action}",
        "agreement_id": agreement_id,
        "sender_ods": sender,
        "receiver_ods": agreement["receiver_ods"],
        "result_size": records,
        "counts": counts,
        "outcome": status,
    }
    log = AuditLog(audit_dir(settings))
    try:
        log.append(event)
    finally:
        log.close()
    return {"agreement_id": agreement_id, "status": status, "records_removed": records,
            "counts": counts}  # fmt: skip


def _remove(driver: Driver, settings: Settings, agreement_id: str, sender: str) -> dict[str, int]:
    """At the receiver: what came under the agreement, the sender's evidence rows when no
    other active agreement of the sender remains, and the clusters that rested on them."""
    db = settings.neo4j.database
    counts = share_import.withdraw_source(
        driver, source_of(agreement_id), sorted(REFERENCE), database=db
    )
    ps = pseudonymiser_for(settings)
    others = [
        a for a in agreements.list_all(driver, settings)
        if a["sender_ods"] == sender and a["status"] == "active"
    ]  # fmt: skip
    if not others:
        with EvidenceStore(default_path(settings.state_dir), ps) as store:
            counts["evidence_rows"] = store.delete_provider(ps.domain, sender)
    counts["cluster_ids_changed"] = _recluster(LinkGraph(driver, db), ps.domain)
    return counts


_NOT_RECORDS = frozenset(
    {"links", "source_records", "load_batches", "review_tasks", "evidence_rows",
     "cluster_ids_changed"}
)  # fmt: skip
