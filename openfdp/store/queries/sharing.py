"""Data sharing agreements between instances, for the public transparency views."""

from __future__ import annotations

from typing import LiteralString

DSA_PROJECTION: LiteralString = (
    "a {.agreement_id, .sender_ods, .receiver_ods, .legal_basis, .purposes, .data_classes, "
    ".effective_from, .effective_to, .status}"
)

SHARING_AGREEMENTS: LiteralString = (
    "MATCH (a:DataSharingAgreement) "
    "WHERE $ods_code IS NULL OR a.sender_ods = $ods_code OR a.receiver_ods = $ods_code "
    "WITH a ORDER BY a.effective_from, a.agreement_id LIMIT $limit "
    "RETURN " + DSA_PROJECTION + " AS agreement"
)
