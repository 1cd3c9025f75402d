"""Data sharing agreements between openfdp instances (public, no token needed), like the
supplier agreements: who shares pseudonymised data products with whom, on which legal
basis, for which purposes and data classes, and whether the agreement still stands."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from openfdp.api.schema.common import Info, backed_by, build, fetch
from openfdp.store.queries import sharing as q


@backed_by("DataSharingAgreement")
@strawberry.type(
    description="An agreement under which one instance (a trust) shares pseudonymised data "
    "products with another (an ICS)."
)
class DataSharingAgreement:
    agreement_id: str
    sender_ods: str
    receiver_ods: str
    legal_basis: str
    purposes: list[str] | None
    data_classes: list[str] | None
    effective_from: datetime.date
    effective_to: datetime.date | None
    status: str


def to_sharing(row: dict[str, Any]) -> DataSharingAgreement:
    return build(DataSharingAgreement, row)


async def resolve_sharing_agreements(
    info: Info, *, ods_code: str | None = None
) -> list[DataSharingAgreement]:
    """Agreements this instance holds; with ``odsCode``, those it sends or receives under."""
    limit = info.context.settings.api.max_page_size
    rows = await fetch(info, q.SHARING_AGREEMENTS, ods_code=ods_code, limit=limit)
    info.context.audit.record(rows=len(rows))
    return [to_sharing(r["agreement"]) for r in rows]
