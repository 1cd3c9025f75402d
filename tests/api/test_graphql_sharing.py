"""Data sharing agreements between instances are public, as supplier agreements are
(docs/federation.md): who shares with whom, on which legal basis, for which purposes and
data classes, and whether the agreement still stands; no token needed."""

from __future__ import annotations

import datetime as dt

import pytest

from neo4j import Driver
from openfdp.loaders.share import agreements
from openfdp.store import share_agreements
from tests.api.graphql_support import gql, seed
from tests.conftest import make_test_settings

pytestmark = pytest.mark.api


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    cfg = make_test_settings()
    for aid, sender in (("DSA-RR8-QWO", "RR8"), ("DSA-RAE-QWO", "RAE")):
        agreements.create(
            clean_graph, cfg, agreement_id=aid, sender=sender, receiver="QWO",
            legal_basis="UK GDPR 6(1)(e), 9(2)(h)", purposes=["planning"],
            data_classes=["rtt_pathways"], start=dt.date(2025, 4, 1), end=None,
        )  # fmt: skip
    share_agreements.set_status(
        clean_graph, "DSA-RAE-QWO", "revoked", dt.date(2026, 1, 31), database="neo4j"
    )
    return clean_graph


def test_sharing_agreements_are_listed_without_a_token(seeded: Driver, client: object) -> None:
    q = """query($ods: String) { sharingAgreements(odsCode: $ods) {
      agreementId senderOds receiverOds legalBasis purposes dataClasses effectiveFrom
      effectiveTo status } }"""
    body = gql(client, q)
    assert body.get("errors") is None, body
    rows = body["data"]["sharingAgreements"]
    assert [(r["agreementId"], r["status"]) for r in rows] == [
        ("DSA-RAE-QWO", "revoked"),
        ("DSA-RR8-QWO", "active"),
    ]
    assert rows[0]["effectiveTo"] == "2026-01-31"
    only = gql(client, q, {"ods": "RR8"})["data"]["sharingAgreements"]
    assert [r["agreementId"] for r in only] == ["DSA-RR8-QWO"]
    assert only[0]["dataClasses"] == ["rtt_pathways"] and only[0]["effectiveTo"] is None


def test_who_processes_shows_the_sharing_agreements(seeded: Driver, client: object) -> None:
    q = """query($ods: String!) { whoProcesses(odsCode: $ods) {
      agreements { totalCount } sharingAgreements { agreementId receiverOds status } } }"""
    w = gql(client, q, {"ods": "RR8"})["data"]["whoProcesses"]
    assert w["agreements"]["totalCount"] == 1
    assert w["sharingAgreements"] == [
        {"agreementId": "DSA-RR8-QWO", "receiverOds": "QWO", "status": "active"}
    ]
