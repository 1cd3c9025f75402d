"""Data sharing agreements as data: create, read and check (docs/federation.md).

Both instances record the same agreement. An agreement allows a product when it is active,
today is within its dates, it names the product's sender and receiver, and it covers every
data class and purpose of the product.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from neo4j import Driver
from openfdp.loaders.share.classes import unknown_classes, unknown_purposes
from openfdp.loaders.share.errors import AgreementError, ProductRefused, ShareError
from openfdp.loaders.share.keys import check_ods
from openfdp.settings import Settings
from openfdp.store import share_agreements as store

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def this_instance(settings: Settings) -> str:
    if not settings.instance.ods:
        raise ShareError("this instance has no ODS code: set OPENFDP_INSTANCE__ODS")
    return check_ods(settings.instance.ods)


def create(
    driver: Driver,
    settings: Settings,
    *,
    agreement_id: str,
    sender: str,
    receiver: str,
    legal_basis: str,
    purposes: Sequence[str],
    data_classes: Sequence[str],
    start: dt.date,
    end: dt.date | None,
) -> dict[str, Any]:
    if not _ID.match(agreement_id):
        raise AgreementError(f"not an agreement id: {agreement_id!r} (letters, digits, . _ -)")
    if bad := unknown_purposes(purposes):
        raise AgreementError(f"unknown purpose(s): {', '.join(bad)}")
    if bad := unknown_classes(data_classes):
        raise AgreementError(f"unknown data class(es): {', '.join(bad)}")
    if not purposes or not data_classes or not legal_basis.strip():
        raise AgreementError("an agreement needs a legal basis, a purpose and a data class")
    if end is not None and end < start:
        raise AgreementError("the end date is before the start date")
    props = {
        "sender_ods": check_ods(sender),
        "receiver_ods": check_ods(receiver),
        "legal_basis": legal_basis.strip(),
        "purposes": sorted(set(purposes)),
        "data_classes": sorted(set(data_classes)),
        "effective_from": start,
        "effective_to": end,
        "status": "active",
    }
    existing = store.get(driver, agreement_id, database=settings.neo4j.database)
    if existing is not None and existing.get("status") != "active":
        raise AgreementError(f"agreement {agreement_id} is {existing['status']}; use a new id")
    store.save(driver, agreement_id, props, database=settings.neo4j.database)
    return require(driver, settings, agreement_id)


def require(driver: Driver, settings: Settings, agreement_id: str) -> dict[str, Any]:
    found = store.get(driver, agreement_id, database=settings.neo4j.database)
    if found is None:
        raise AgreementError(f"no data sharing agreement {agreement_id} at this instance")
    return _plain(found)


def list_all(driver: Driver, settings: Settings) -> list[dict[str, Any]]:
    return [_plain(a) for a in store.list_all(driver, database=settings.neo4j.database)]


def _plain(a: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k in ("effective_from", "effective_to"):
        v: Any = out.get(k)
        out[k] = v.to_native() if v is not None and hasattr(v, "to_native") else v
    out.setdefault("effective_to", None)
    return out


def check_active(
    agreement: dict[str, Any],
    *,
    sender: str | None,
    receiver: str | None,
    today: dt.date | None = None,
    refuse: type[ShareError] = AgreementError,
) -> None:
    """Raise ``refuse`` with the reason unless the agreement allows sharing today."""
    aid = agreement["agreement_id"]
    day = today or dt.date.today()
    if agreement.get("status") != "active":
        raise refuse(f"agreement {aid} is {agreement.get('status')}")
    if agreement["effective_from"] > day:
        raise refuse(f"agreement {aid} starts on {agreement['effective_from']}")
    if agreement["effective_to"] is not None and agreement["effective_to"] < day:
        raise refuse(f"agreement {aid} expired on {agreement['effective_to']}")
    if sender is not None and agreement["sender_ods"] != sender:
        raise refuse(f"agreement {aid} has sender {agreement['sender_ods']}, not {sender}")
    if receiver is not None and agreement["receiver_ods"] != receiver:
        raise refuse(f"agreement {aid} has receiver {agreement['receiver_ods']}, not {receiver}")


def check_covers(
    agreement: dict[str, Any], classes: Sequence[str], purposes: Sequence[str]
) -> None:
    aid = agreement["agreement_id"]
    if extra := sorted(set(classes) - set(agreement["data_classes"])):
        raise ProductRefused(f"agreement {aid} does not cover data class(es) {', '.join(extra)}")
    if extra := sorted(set(purposes) - set(agreement["purposes"])):
        raise ProductRefused(f"agreement {aid} does not cover purpose(s) {', '.join(extra)}")
