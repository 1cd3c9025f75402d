"""Receipts: the receiver's signed acknowledgement of an imported product
(``<product>/receipt.json``), and the sender's ``share ack`` that advances its watermark."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openfdp.loaders.share import keys
from openfdp.loaders.share.codec import canonical
from openfdp.loaders.share.errors import ProductRefused
from openfdp.loaders.share.ledger import Ledger, ledger_path
from openfdp.settings import Settings

RECEIPT_FORMAT = "openfdp-receipt/1"


def write_receipt(folder: Path, receipt: dict[str, Any], settings: Settings) -> Path:
    body = {"format": RECEIPT_FORMAT, **receipt}
    signature = keys.sign(keys.keys_dir(settings), canonical(body))
    path = folder / "receipt.json"
    doc = {"receipt": body, "signature": base64.b64encode(signature).decode()}
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return path


def read_receipt(path: Path, settings: Settings) -> dict[str, Any]:
    """The receipt's content, once its signature verifies with the receiver's key."""
    try:
        doc = json.loads(path.read_text())
        body, signature = doc["receipt"], base64.b64decode(doc["signature"], validate=True)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ProductRefused(f"{path} is not a readable receipt") from exc
    if not isinstance(body, dict) or body.get("format") != RECEIPT_FORMAT:
        raise ProductRefused(f"{path} is not a receipt of format {RECEIPT_FORMAT}")
    receiver = str(body.get("receiver_ods"))
    if not keys.verify(
        keys.peer_key(keys.keys_dir(settings), receiver), signature, canonical(body)
    ):
        raise ProductRefused(f"the receipt's signature does not verify with {receiver}'s key")
    return body


def acknowledge(path: Path, settings: Settings, *, sender: str) -> dict[str, Any]:
    body = read_receipt(path, settings)
    if body.get("sender_ods") != sender:
        raise ProductRefused(f"the receipt is for sender {body.get('sender_ods')}, not {sender}")
    if body.get("status") not in ("imported", "already imported"):
        raise ProductRefused(f"the receipt says {body.get('status')}, not imported")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with Ledger(ledger_path(settings.state_dir)) as ledger:
        changed = ledger.acknowledge(str(body["export_id"]), now)
    return {"export_id": body["export_id"], "agreement_id": body["agreement_id"],
            "items_acknowledged": changed}  # fmt: skip
